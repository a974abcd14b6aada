package ai.igspark.eval;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.Npz;
import java.nio.file.Path;

/**
 * The reference side of a latent-model evaluation: an ADM {@code .npz} with stored statistics
 * ({@code mu}/{@code sigma}, optionally {@code mu_s}/{@code sigma_s}), used as they are, or with
 * images {@code arr_0} only, which go through the Inception once (streamed in batches).
 */
public final class ReferenceBatch {
  private ReferenceBatch() {}

  /**
   * Reads {@code file}; {@code inception} extracts features when it holds images only, and fixes
   * the feature widths the statistics must have.
   */
  public static EvaluationSide load(Path file, FeatureExtractor inception) {
    try (Npz npz = Npz.open(file)) {
      EvaluationSide side;
      if (AdmStatistics.present(npz)) {
        side =
            EvaluationSide.ofStatistics(
                file.toString(), AdmStatistics.pool(npz), AdmStatistics.spatial(npz).orElse(null));
      } else if (npz.has(NpzImages.KEY)) {
        try (NpzImages images = NpzImages.open(npz)) {
          side =
              ImageFeatures.collect(
                  images, inception,
                  new ImageFeatures.Wanted(false, false, ImageFeatures.DEFAULT_BATCH));
        }
      } else {
        throw new InvalidInputException(
            file + ": holds neither statistics ('mu', 'sigma') nor images ('arr_0'); the "
                + "archive holds: "
                + (npz.keys().isEmpty() ? "nothing" : String.join(", ", npz.keys())));
      }
      checkWidth(file, "mu/sigma", side.pool(), inception, FeatureExtractor.Output.POOL);
      checkWidth(file, "mu_s/sigma_s", side.spatial(), inception,
          FeatureExtractor.Output.SPATIAL);
      return side;
    }
  }

  private static void checkWidth(
      Path file, String keys, Gaussian g, FeatureExtractor inception,
      FeatureExtractor.Output output) {
    Integer width = inception.outputs().get(output);
    if (g != null && width != null && g.dim() != width) {
      throw new InvalidInputException(
          file + ": " + keys + " are " + g.dim() + "-dimensional, but the Inception "
              + inception.description() + " gives " + width + "-dimensional "
              + output.name().toLowerCase() + " features (both must come from the same network)");
    }
  }
}
