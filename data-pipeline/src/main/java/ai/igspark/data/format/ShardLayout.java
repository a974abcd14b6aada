package ai.igspark.data.format;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.SafetensorsFile.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * What one shard of a dataset must hold according to its manifest: the tensors of its kind
 * ({@code latents} [+ {@code latents_flip}] or {@code moments_mean} + {@code moments_std}) as the
 * stored dtype in [rows, C, H, W], and integer {@code labels} [rows] in [0, num_classes). One
 * check shared by the executors' reader ({@link LatentDataset}) and the driver's check before
 * step 0 ({@link DatasetPreflight}).
 */
record ShardLayout(DatasetManifest manifest) {
  static final String LABELS = "labels";

  /** The data tensors, in the order the reader views them. */
  List<String> dataTensors() {
    List<String> out = new ArrayList<>(manifest.kind() == DatasetKind.MOMENTS
        ? List.of("moments_mean", "moments_std") : List.of("latents"));
    if (manifest.hasFlip()) {
      out.add("latents_flip");
    }
    return out;
  }

  /** Checks names, dtypes and shapes of a shard that the manifest says holds {@code rows} rows. */
  void checkTensors(String shard, Map<String, TensorInfo> tensors, long rows) {
    long[] shape = {rows, manifest.channels(), manifest.height(), manifest.width()};
    for (String t : dataTensors()) {
      TensorInfo info = tensors.get(t);
      if (info == null) {
        throw new InvalidInputException(shard + ": no tensor '" + t + "' (a "
            + manifest.kind().jsonName() + (manifest.hasFlip() ? " dataset with flips" : " dataset")
            + " needs it; the shard holds " + tensors.keySet() + ")");
      }
      if (info.dtype() != manifest.storedDType() || !Arrays.equals(info.shape(), shape)) {
        throw new InvalidInputException(shard + ": tensor '" + t + "' is " + info.dtype()
            + Arrays.toString(info.shape()) + " but the manifest says " + manifest.storedDType()
            + Arrays.toString(shape));
      }
    }
    TensorInfo labels = tensors.get(LABELS);
    if (labels == null) {
      throw new InvalidInputException(shard + ": no tensor 'labels' (the shard holds "
          + tensors.keySet() + ")");
    }
    if (labels.dtype().isFloatingPoint() || !Arrays.equals(labels.shape(), new long[] {rows})) {
      throw new InvalidInputException(shard + ": tensor 'labels' is " + labels.dtype()
          + Arrays.toString(labels.shape()) + " but the manifest says I64[" + rows + "]");
    }
  }

  /** Checks every label lies in [0, num_classes). */
  void checkLabels(String shard, long[] labels) {
    for (int r = 0; r < labels.length; r++) {
      if (labels[r] < 0 || labels[r] >= manifest.numClasses()) {
        throw new InvalidInputException(shard + ": label " + labels[r] + " of row " + r
            + " is outside [0, " + manifest.numClasses() + ")");
      }
    }
  }
}
