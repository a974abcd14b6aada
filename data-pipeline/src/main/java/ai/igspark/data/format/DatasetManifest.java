package ai.igspark.data.format;

import ai.igspark.data.InvalidInputException;
import ai.igspark.tensorfile.DType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * dataset.json: what a latent dataset holds (docs/ARCHITECTURE.md §2). A directory is a dataset
 * only once this file exists; {@link #commit} writes it last and atomically.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param latentShape [C, H, W]
 * @param storedDType F32, F16 or BF16
 * @param numClasses labels lie in [0, numClasses)
 * @param count samples over all shards
 * @param kind latents or posterior moments
 * @param hasFlip whether shards hold {@code latents_flip}
 * @param labelMode class labels or unconditional
 * @param normalization applied when batches are built
 * @param vae the VAE that made the latents
 * @param source where the data came from (free text, e.g. the input directory)
 * @param skipped inputs left out during ingestion
 * @param skippedReport file (relative) listing them with reasons, or null
 * @param shards in sample order
 */
public record DatasetManifest(
    int formatVersion,
    List<Integer> latentShape,
    DType storedDType,
    int numClasses,
    long count,
    DatasetKind kind,
    boolean hasFlip,
    LabelMode labelMode,
    Normalization normalization,
    VaeIdentity vae,
    String source,
    long skipped,
    String skippedReport,
    List<ShardEntry> shards) implements java.io.Serializable {

  public static final int FORMAT_VERSION = 1;
  public static final String FILE_NAME = "dataset.json";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public DatasetManifest {
    latentShape = List.copyOf(latentShape);
    shards = List.copyOf(shards);
  }

  public int channels() {
    return latentShape.get(0);
  }

  public int height() {
    return latentShape.get(1);
  }

  public int width() {
    return latentShape.get(2);
  }

  /** C·H·W. */
  public int sampleSize() {
    return channels() * height() * width();
  }

  public ShardSpec shardSpec(int samplesPerShard) {
    return new ShardSpec(channels(), height(), width(), storedDType, kind, hasFlip, numClasses,
        samplesPerShard);
  }

  // ---- JSON ------------------------------------------------------------------------------------

  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("format_version", formatVersion);
    ArrayNode shape = root.putArray("latent_shape");
    latentShape.forEach(shape::add);
    root.put("stored_dtype", storedDType.safetensorsName());
    root.put("num_classes", numClasses);
    root.put("count", count);
    root.put("kind", kind.jsonName());
    root.put("has_flip", hasFlip);
    root.put("label_mode", labelMode.jsonName());
    ObjectNode norm = root.putObject("normalization");
    if (normalization.perChannel()) {
      norm.put("type", "per_channel");
      ArrayNode mean = norm.putArray("mean");
      for (float v : normalization.mean()) {
        mean.add(v);
      }
      ArrayNode std = norm.putArray("std");
      for (float v : normalization.std()) {
        std.add(v);
      }
    } else {
      norm.put("type", "scalar");
      norm.put("scale", normalization.scale());
      norm.put("bias", normalization.bias());
    }
    ObjectNode v = root.putObject("vae");
    v.put("name", vae.name());
    if (vae.encoderSha256() != null) {
      v.put("encoder_sha256", vae.encoderSha256());
    }
    root.put("source", source);
    root.put("skipped", skipped);
    if (skippedReport != null) {
      root.put("skipped_report", skippedReport);
    }
    ArrayNode list = root.putArray("shards");
    for (ShardEntry s : shards) {
      list.addObject().put("path", s.path()).put("count", s.count()).put("sha256", s.sha256())
          .put("bytes", s.bytes());
    }
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses and validates a manifest; {@code source} names it in error messages. */
  public static DatasetManifest fromJson(String json, String source) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(source + ": not valid JSON: " + e.getOriginalMessage());
    }
    Fields f = new Fields(root, source, "");
    int version = f.integer("format_version");
    if (version != FORMAT_VERSION) {
      throw new InvalidInputException(source + ": format_version " + version
          + " is not supported (this igspark reads version " + FORMAT_VERSION + ")");
    }
    JsonNode shapeNode = f.array("latent_shape");
    List<Integer> shape = new ArrayList<>();
    for (JsonNode d : shapeNode) {
      if (!d.isInt() || d.asInt() <= 0) {
        throw f.bad("latent_shape", "three positive integers [C, H, W]", shapeNode);
      }
      shape.add(d.asInt());
    }
    if (shape.size() != 3) {
      throw f.bad("latent_shape", "three positive integers [C, H, W]", shapeNode);
    }
    String dtypeName = f.text("stored_dtype");
    DType dtype = DType.fromSafetensorsName(dtypeName)
        .filter(d -> d == DType.F32 || d == DType.F16 || d == DType.BF16)
        .orElseThrow(() -> f.bad("stored_dtype", "F32, F16 or BF16", dtypeName));
    int numClasses = f.integer("num_classes");
    if (numClasses <= 0) {
      throw f.bad("num_classes", "a positive integer", numClasses);
    }
    long count = f.longValue("count");
    String kindName = f.text("kind");
    DatasetKind kind = DatasetKind.fromJsonName(kindName)
        .orElseThrow(() -> f.bad("kind", "\"latents\" or \"moments\"", kindName));
    boolean hasFlip = f.bool("has_flip");
    if (hasFlip && kind != DatasetKind.LATENTS) {
      throw f.bad("has_flip", "false for a moments dataset", true);
    }
    String modeName = f.text("label_mode");
    LabelMode mode = LabelMode.fromJsonName(modeName)
        .orElseThrow(() -> f.bad("label_mode", "\"class\" or \"none\"", modeName));
    if (mode == LabelMode.NONE && numClasses != 1) {
      throw f.bad("num_classes", "1 when label_mode is \"none\"", numClasses);
    }
    Normalization norm = parseNormalization(f.object("normalization"), shape.get(0));
    Fields vf = f.object("vae");
    VaeIdentity vae = new VaeIdentity(vf.text("name"), vf.optionalText("encoder_sha256"));
    vf.done();
    String src = f.text("source");
    long skipped = f.longValue("skipped");
    if (skipped < 0) {
      throw f.bad("skipped", "a count >= 0", skipped);
    }
    String report = f.optionalText("skipped_report");
    JsonNode shardNodes = f.array("shards");
    List<ShardEntry> shards = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    long total = 0;
    for (int i = 0; i < shardNodes.size(); i++) {
      Fields sf = new Fields(shardNodes.get(i), source, "shards[" + i + "].");
      String path = sf.text("path");
      if (path.isEmpty() || path.startsWith("/") || path.contains("..") || path.contains(":")) {
        throw sf.bad("path", "a path relative to the dataset directory", path);
      }
      if (!seen.add(path)) {
        throw sf.bad("path", "a path listed once", path);
      }
      long n = sf.longValue("count");
      if (n <= 0) {
        throw sf.bad("count", "a positive count", n);
      }
      String sha = sf.text("sha256");
      if (!SHA256.matcher(sha).matches()) {
        throw sf.bad("sha256", "64 lower-case hex digits", sha);
      }
      long bytes = sf.longValue("bytes");
      if (bytes <= 8) {
        throw sf.bad("bytes", "the shard's file size", bytes);
      }
      sf.done();
      shards.add(new ShardEntry(path, n, sha, bytes));
      total += n;
    }
    if (total != count) {
      throw f.bad("count", "the sum of the shard counts (" + total + ")", count);
    }
    f.done();
    return new DatasetManifest(version, shape, dtype, numClasses, count, kind, hasFlip, mode, norm,
        vae, src, skipped, report, shards);
  }

  private static Normalization parseNormalization(Fields f, int channels) {
    String type = f.text("type");
    Normalization n;
    if (type.equals("scalar")) {
      float scale = (float) f.number("scale");
      float bias = (float) f.number("bias");
      if (!(scale != 0 && Float.isFinite(scale) && Float.isFinite(bias))) {
        throw f.bad("scale", "a finite non-zero number", scale);
      }
      n = Normalization.scalar(scale, bias);
    } else if (type.equals("per_channel")) {
      float[] mean = f.floats("mean", channels);
      float[] std = f.floats("std", channels);
      for (float s : std) {
        if (!(s > 0) || !Float.isFinite(s)) {
          throw f.bad("std", "positive finite values", f.array("std"));
        }
      }
      n = Normalization.perChannel(mean, std);
    } else {
      throw f.bad("type", "\"scalar\" or \"per_channel\"", type);
    }
    f.done();
    return n;
  }

  // ---- files -----------------------------------------------------------------------------------

  /** The manifest's URI for a dataset directory (or the manifest itself). */
  public static Path manifestPath(String dirOrManifestUri) {
    Path p = FileSystemUris.toPath(dirOrManifestUri);
    return p.getName().equals(FILE_NAME) ? p : new Path(p, FILE_NAME);
  }

  /** Reads and validates dataset.json from a dataset directory or the manifest's own URI. */
  public static DatasetManifest read(String dirOrManifestUri, Configuration conf) {
    Path path = manifestPath(dirOrManifestUri);
    FileSystem fs = FileSystemUris.fileSystem(path, conf);
    try (InputStream in = fs.open(path)) {
      return fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), path.toString());
    } catch (FileNotFoundException e) {
      throw new InvalidInputException(path + ": no such file; " + path.getParent()
          + " is not a committed dataset (an ingestion that did not finish leaves no manifest)");
    } catch (IOException e) {
      throw new InvalidInputException(path + ": cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Commits a dataset: checks that every shard exists with its recorded size, then writes
   * dataset.json under a temporary name and renames it into place, so readers see either no
   * dataset or a complete one.
   */
  public static void commit(String dirUri, DatasetManifest manifest, Configuration conf) {
    Path dir = FileSystemUris.toPath(dirUri);
    FileSystem fs = FileSystemUris.fileSystem(dir, conf);
    // round-trip through the reader's validation so nothing unreadable is ever committed
    DatasetManifest checked = fromJson(manifest.toJson(), new Path(dir, FILE_NAME).toString());
    try {
      for (ShardEntry s : checked.shards()) {
        Path shard = new Path(dir, s.path());
        FileStatus st;
        try {
          st = fs.getFileStatus(shard);
        } catch (FileNotFoundException e) {
          throw new InvalidInputException(shard + ": missing; cannot commit the dataset");
        }
        if (st.getLen() != s.bytes()) {
          throw new InvalidInputException(shard + ": has " + st.getLen() + " bytes but the "
              + "manifest records " + s.bytes() + "; cannot commit the dataset");
        }
      }
      Path tmp = new Path(dir, "." + FILE_NAME + "." + UUID.randomUUID() + ".tmp");
      try (OutputStream out = fs.create(tmp, false)) {
        out.write(manifest.toJson().getBytes(StandardCharsets.UTF_8));
        if (out instanceof org.apache.hadoop.fs.Syncable s) {
          s.hsync();
        }
      }
      FileSystemUris.replace(fs, fs.makeQualified(tmp),
          fs.makeQualified(new Path(dir, FILE_NAME)), conf);
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot commit the dataset: " + e.getMessage(), e);
    }
  }

  // ---- strict field access ---------------------------------------------------------------------

  /** Reads an object's fields by name and rejects any it did not read, naming the key path. */
  private static final class Fields {
    private final JsonNode node;
    private final String source;
    private final String prefix;
    private final Set<String> read = new HashSet<>();

    Fields(JsonNode node, String source, String prefix) {
      if (node == null || !node.isObject()) {
        throw new InvalidInputException(source + ": " + (prefix.isEmpty() ? "the manifest"
            : prefix.substring(0, prefix.length() - 1)) + " must be a JSON object");
      }
      this.node = node;
      this.source = source;
      this.prefix = prefix;
    }

    JsonNode get(String key) {
      read.add(key);
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) {
        throw new InvalidInputException(source + ": missing key '" + prefix + key + "'");
      }
      return v;
    }

    InvalidInputException bad(String key, String expected, Object got) {
      return new InvalidInputException(
          source + ": '" + prefix + key + "' must be " + expected + ", got " + got);
    }

    String text(String key) {
      JsonNode v = get(key);
      if (!v.isTextual()) {
        throw bad(key, "a string", v);
      }
      return v.asText();
    }

    String optionalText(String key) {
      read.add(key);
      JsonNode v = node.get(key);
      if (v == null || v.isNull()) {
        return null;
      }
      if (!v.isTextual()) {
        throw bad(key, "a string", v);
      }
      return v.asText();
    }

    int integer(String key) {
      JsonNode v = get(key);
      if (!v.isInt()) {
        throw bad(key, "an integer", v);
      }
      return v.asInt();
    }

    long longValue(String key) {
      JsonNode v = get(key);
      if (!v.isIntegralNumber() || !v.canConvertToLong()) {
        throw bad(key, "an integer", v);
      }
      return v.asLong();
    }

    double number(String key) {
      JsonNode v = get(key);
      if (!v.isNumber()) {
        throw bad(key, "a number", v);
      }
      return v.asDouble();
    }

    boolean bool(String key) {
      JsonNode v = get(key);
      if (!v.isBoolean()) {
        throw bad(key, "true or false", v);
      }
      return v.asBoolean();
    }

    JsonNode array(String key) {
      JsonNode v = get(key);
      if (!v.isArray()) {
        throw bad(key, "an array", v);
      }
      return v;
    }

    float[] floats(String key, int length) {
      JsonNode v = array(key);
      if (v.size() != length) {
        throw bad(key, length + " numbers (one per channel)", v);
      }
      float[] out = new float[length];
      for (int i = 0; i < length; i++) {
        if (!v.get(i).isNumber()) {
          throw bad(key, length + " numbers (one per channel)", v);
        }
        out[i] = (float) v.get(i).asDouble();
      }
      return out;
    }

    Fields object(String key) {
      JsonNode v = get(key);
      return new Fields(v, source, prefix + key + ".");
    }

    void done() {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!read.contains(k)) {
          throw new InvalidInputException(source + ": unknown key '" + prefix + k + "'");
        }
      }
    }
  }
}
