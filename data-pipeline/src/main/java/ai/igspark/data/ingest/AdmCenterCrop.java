package ai.igspark.data.ingest;

/**
 * The ADM center crop (guided-diffusion {@code center_crop_arr}; REPA's {@code
 * center-crop-dhariwal}; LightningDiT's {@code center_crop_arr}), docs/METHOD.md §2.6: halve with a
 * BOX filter while the short side is at least twice the target, resize with BICUBIC so the short
 * side equals the target, then cut the centered square.
 */
public final class AdmCenterCrop {
  private AdmCenterCrop() {}

  public static RgbImage apply(RgbImage image, int size) {
    RgbImage img = image;
    while (Math.min(img.width(), img.height()) >= 2 * size) {
      img = PilResample.resize(img, img.width() / 2, img.height() / 2, PilResample.Filter.BOX);
    }
    double scale = (double) size / Math.min(img.width(), img.height());
    // Python's round(): half to even, on the same double product.
    int width = (int) Math.rint(img.width() * scale);
    int height = (int) Math.rint(img.height() * scale);
    img = PilResample.resize(img, width, height, PilResample.Filter.BICUBIC);
    int top = (img.height() - size) / 2;
    int left = (img.width() - size) / 2;
    byte[] out = new byte[size * size * 3];
    for (int y = 0; y < size; y++) {
      System.arraycopy(
          img.pixels(), ((top + y) * img.width() + left) * 3, out, y * size * 3, size * 3);
    }
    return new RgbImage(size, size, out);
  }
}
