package ai.igspark.eval.fmnist;

import ai.djl.ndarray.types.Shape;
import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import ai.igspark.tensorfile.DType;
import ai.igspark.tensorfile.HostTensor;
import ai.igspark.tensorfile.SafetensorsFile;
import ai.igspark.tensorfile.SafetensorsWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * A frozen, versioned Fashion-MNIST classifier: the weights of {@link FmnistCnn} and how they were
 * made, stored as one safetensors file (F32 tensors, provenance in {@code __metadata__}). The
 * SHA-256 of the file is the extractor identity recorded with every FD-FMNIST number; the file is
 * byte-for-byte reproducible (no timestamps), so retraining with the same seed and data on the
 * same thread count gives the same identity.
 *
 * <p>The project ships one such file ({@link #DEFAULT_RESOURCE}) so that every user and test uses
 * the same extractor; {@code igspark prepare fmnist-classifier} regenerates it.
 */
public final class FmnistClassifier {
  /** The committed classifier, on the classpath. */
  public static final String DEFAULT_RESOURCE = "/ai/igspark/eval/fmnist/fmnist-cnn-v1.safetensors";

  /** How the weights were made; all of it is stored in the file's metadata. */
  public record Provenance(
      String architecture,
      long seed,
      int epochs,
      int batchSize,
      float learningRate,
      int trainImages,
      double testAccuracy,
      String trainManifestSha256,
      String testManifestSha256) {
    Map<String, String> toMetadata() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("architecture", architecture);
      m.put("training_seed", Long.toString(seed));
      m.put("epochs", Integer.toString(epochs));
      m.put("batch_size", Integer.toString(batchSize));
      m.put("learning_rate", Float.toString(learningRate));
      m.put("optimizer", "adam, cosine decay to 0");
      m.put("train_images", Integer.toString(trainImages));
      m.put("test_accuracy", Double.toString(testAccuracy));
      m.put("train_manifest_sha256", String.valueOf(trainManifestSha256));
      m.put("test_manifest_sha256", String.valueOf(testManifestSha256));
      return m;
    }

    static Provenance fromMetadata(Map<String, String> m, String source) {
      try {
        return new Provenance(
            m.get("architecture"),
            Long.parseLong(required(m, "training_seed", source)),
            Integer.parseInt(required(m, "epochs", source)),
            Integer.parseInt(required(m, "batch_size", source)),
            Float.parseFloat(required(m, "learning_rate", source)),
            Integer.parseInt(required(m, "train_images", source)),
            Double.parseDouble(required(m, "test_accuracy", source)),
            m.get("train_manifest_sha256"),
            m.get("test_manifest_sha256"));
      } catch (NumberFormatException e) {
        throw new InvalidInputException(
            source + ": classifier metadata holds a malformed number: " + e.getMessage(), e);
      }
    }

    private static String required(Map<String, String> m, String key, String source) {
      String v = m.get(key);
      if (v == null) {
        throw new InvalidInputException(
            source + ": classifier metadata lacks '" + key + "' (not a file written by "
                + "igspark prepare fmnist-classifier?)");
      }
      return v;
    }
  }

  private final Map<String, float[]> weights;
  private final Provenance provenance;
  private final String sha256;
  private final String source;

  private FmnistClassifier(
      Map<String, float[]> weights, Provenance provenance, String sha256, String source) {
    this.weights = weights;
    this.provenance = provenance;
    this.sha256 = sha256;
    this.source = source;
  }

  /** Weights as {@link FmnistCnn#parameterShapes()} orders them, and their provenance. */
  public static FmnistClassifier of(Map<String, float[]> weights, Provenance provenance) {
    byte[] bytes = serialize(weights, provenance);
    return new FmnistClassifier(
        copy(weights), provenance, Sha256.of(bytes), "(in memory, not yet saved)");
  }

  /** Loads and checks a frozen classifier file. */
  public static FmnistClassifier load(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException(file + ": no such Fashion-MNIST classifier file");
    } catch (IOException e) {
      throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
    return parse(bytes, file.toString());
  }

  /** The classifier committed with the project ({@link #DEFAULT_RESOURCE}). */
  public static FmnistClassifier loadDefault() {
    try (InputStream in = FmnistClassifier.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("classpath resource " + DEFAULT_RESOURCE + " is missing");
      }
      return parse(in.readAllBytes(), "classpath:" + DEFAULT_RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + DEFAULT_RESOURCE, e);
    }
  }

  private static FmnistClassifier parse(byte[] bytes, String source) {
    Map<String, float[]> weights = new LinkedHashMap<>();
    Provenance provenance;
    try (SafetensorsFile f = SafetensorsFile.read(new ByteArrayInputStream(bytes), source)) {
      String arch = f.metadata().get("architecture");
      if (!FmnistCnn.ARCHITECTURE.equals(arch)) {
        throw new InvalidInputException(
            source + ": architecture is " + (arch == null ? "missing" : "'" + arch + "'")
                + ", expected '" + FmnistCnn.ARCHITECTURE + "' (a Fashion-MNIST classifier "
                + "written by igspark prepare fmnist-classifier)");
      }
      provenance = Provenance.fromMetadata(f.metadata(), source);
      TreeSet<String> extra = new TreeSet<>(f.names());
      extra.removeAll(FmnistCnn.parameterShapes().keySet());
      if (!extra.isEmpty()) {
        throw new InvalidInputException(
            source + ": unexpected tensors " + extra + " for " + FmnistCnn.ARCHITECTURE);
      }
      for (Map.Entry<String, Shape> e : FmnistCnn.parameterShapes().entrySet()) {
        String name = e.getKey();
        if (!f.has(name)) {
          throw new InvalidInputException(
              source + ": tensor '" + name + "' of " + FmnistCnn.ARCHITECTURE + " is missing");
        }
        SafetensorsFile.TensorInfo info = f.info(name);
        if (info.dtype() != DType.F32 || !Arrays.equals(info.shape(), e.getValue().getShape())) {
          throw new InvalidInputException(
              source + ": tensor '" + name + "' is " + info.dtype() + " "
                  + Arrays.toString(info.shape()) + ", expected F32 " + e.getValue());
        }
        weights.put(name, f.read(name).toFloats());
      }
    } catch (IOException e) {
      throw new InvalidInputException(source + ": cannot read: " + e.getMessage(), e);
    }
    return new FmnistClassifier(weights, provenance, Sha256.of(bytes), source);
  }

  /** Writes the safetensors file and returns its SHA-256 (equal to {@link #sha256()}). */
  public String save(Path file) {
    byte[] bytes = serialize(weights, provenance);
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = parent.resolve(file.getFileName() + ".tmp");
      Files.write(tmp, bytes);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return Sha256.of(bytes);
  }

  private static byte[] serialize(Map<String, float[]> weights, Provenance provenance) {
    SafetensorsWriter w = new SafetensorsWriter().metadata(provenance.toMetadata());
    for (Map.Entry<String, Shape> e : FmnistCnn.parameterShapes().entrySet()) {
      w.add(e.getKey(), HostTensor.ofFloats(e.getValue().getShape(), weights.get(e.getKey())));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      w.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static Map<String, float[]> copy(Map<String, float[]> weights) {
    Map<String, float[]> c = new LinkedHashMap<>();
    for (String name : FmnistCnn.parameterShapes().keySet()) {
      float[] w = weights.get(name);
      if (w == null) {
        throw new IllegalArgumentException("weight '" + name + "' is missing");
      }
      c.put(name, w.clone());
    }
    return c;
  }

  /** A copy of the weights, by parameter name. */
  public Map<String, float[]> weights() {
    return copy(weights);
  }

  public Provenance provenance() {
    return provenance;
  }

  /** SHA-256 (hex) of the safetensors file: the extractor identity. */
  public String sha256() {
    return sha256;
  }

  /** Where it was loaded from. */
  public String source() {
    return source;
  }
}
