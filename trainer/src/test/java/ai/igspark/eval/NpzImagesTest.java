package ai.igspark.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.Npz;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzImagesTest {
  @TempDir Path tmp;

  @Test
  void imagesAreStreamedInBatchesWithAShortLastOne() {
    byte[] pixels = new byte[5 * 4 * 6 * 3];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) i;
    }
    Path file = tmp.resolve("five.npz");
    Npz.write(file, Map.of("arr_0", HostTensor.ofUnsignedBytes(new long[] {5, 4, 6, 3}, pixels)));
    try (Npz npz = Npz.open(file);
        NpzImages images = NpzImages.open(npz)) {
      assertEquals(5, images.count());
      int[] sizes = new int[3];
      byte[] all = new byte[0];
      for (int b = 0; b < 3; b++) {
        ImageBatch batch = images.next(2);
        sizes[b] = batch.count();
        assertEquals(4, batch.height());
        assertEquals(6, batch.width());
        int old = all.length;
        all = Arrays.copyOf(all, old + batch.pixels().length);
        System.arraycopy(batch.pixels(), 0, all, old, batch.pixels().length);
      }
      assertArrayEquals(new int[] {2, 2, 1}, sizes);
      assertArrayEquals(pixels, all);
      assertNull(images.next(2));
    }
  }
}
