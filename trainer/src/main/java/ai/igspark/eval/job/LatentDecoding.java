package ai.igspark.eval.job;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import ai.igspark.data.format.Normalization;
import ai.igspark.eval.FeatureExtractor;
import ai.igspark.eval.TorchScriptDecoder;
import ai.igspark.eval.TorchScriptInception;
import ai.igspark.eval.Uint8Convention;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.SparkFiles;

/**
 * The latent evaluation path (docs/ARCHITECTURE.md §6): model outputs x are un-normalised with the
 * dataset's normalisation, decoded by a user's TorchScript VAE decoder ({@link
 * TorchScriptDecoder}), converted to uint8 with {@link #uint8()} and fed to a TorchScript
 * Inception ({@link TorchScriptInception}). Both files are named by the user (command line or run
 * config), shipped to executors with {@code SparkContext.addFile}, and checked against the SHA-256
 * recorded on the driver before use.
 *
 * @param decoder the decoder file as the user named it
 * @param decoderSha256 its SHA-256 (hex)
 * @param inception the Inception file as the user named it
 * @param inceptionSha256 its SHA-256 (hex)
 * @param normalization the dataset's latent normalisation, undone before decoding
 * @param uint8 how decoded images become pixels
 * @param imageSize decoded image height and width, from the driver's contract check
 * @param outputs the Inception outputs and their widths, from the driver's contract check
 */
public record LatentDecoding(
    String decoder,
    String decoderSha256,
    String inception,
    String inceptionSha256,
    Normalization normalization,
    Uint8Convention uint8,
    int[] imageSize,
    Map<FeatureExtractor.Output, Integer> outputs)
    implements Serializable {

  /**
   * Checks both files against their contracts on the driver (so a wrong file fails before any
   * sampling) and records their SHA-256.
   *
   * @param latentShape the model's sample shape [C, h, w]
   */
  public static LatentDecoding check(
      Path decoder, Path inception, Normalization normalization, Uint8Convention uint8,
      int[] latentShape) {
    if (normalization.perChannel() && normalization.mean().length != latentShape[0]) {
      throw new InvalidInputException(
          "the dataset's per-channel normalisation has " + normalization.mean().length
              + " channels, the model samples " + latentShape[0]);
    }
    if (decoder.getFileName().equals(inception.getFileName())) {
      throw new InvalidInputException(
          decoder + " and " + inception + " share the file name " + decoder.getFileName()
              + "; Spark ships files to executors by name, so rename one of them");
    }
    int[] size;
    try (TorchScriptDecoder d = TorchScriptDecoder.load(decoder, latentShape, decoder.toString())) {
      size = new int[] {d.height(), d.width()};
    }
    Map<FeatureExtractor.Output, Integer> outputs;
    try (TorchScriptInception i = TorchScriptInception.load(inception)) {
      outputs = Map.copyOf(i.outputs());
    }
    return new LatentDecoding(
        decoder.toString(), Sha256.of(decoder), inception.toString(),
        Sha256.of(inception), normalization, uint8, size, outputs);
  }

  /**
   * Undoes the dataset's normalisation in place (x → z): {@code z = (x − bias)/scale}, or {@code
   * z = x·std_c + mean_c} per channel (docs/METHOD.md §2.6), e.g. SiT's {@code x / 0.18215}.
   */
  public void unnormalise(float[] x, int channels, int pixelsPerChannel) {
    float[] mean = normalization.mean();
    float[] std = normalization.std();
    int per = channels * pixelsPerChannel;
    for (int i = 0; i < x.length; i++) {
      if (normalization.perChannel()) {
        int c = (i % per) / pixelsPerChannel;
        x[i] = x[i] * std[c] + mean[c];
      } else {
        x[i] = (x[i] - normalization.bias()) / normalization.scale();
      }
    }
  }

  /** The decoder on this JVM: the copy Spark shipped, else the user's path (driver, tests). */
  public Path localDecoder() {
    return local(decoder, decoderSha256);
  }

  public Path localInception() {
    return local(inception, inceptionSha256);
  }

  private static Path local(String userPath, String sha256) {
    Path path = Path.of(userPath);
    try {
      Path shipped = Path.of(SparkFiles.get(path.getFileName().toString()));
      if (Files.isRegularFile(shipped)) {
        path = shipped;
      }
    } catch (RuntimeException e) {
      // No SparkEnv (a plain JVM): use the user's path.
    }
    String got = Sha256.of(path);
    if (!got.equals(sha256)) {
      throw new InvalidInputException(
          userPath + ": SHA-256 " + got + " differs from " + sha256 + " checked when the "
              + "evaluation started; the file changed while it ran");
    }
    return path;
  }
}
