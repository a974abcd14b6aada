package ai.igspark.ckpt;

import ai.igspark.config.RunConfigDiff;
import ai.igspark.data.Sha256;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What a run was trained on: the SHA-256 of its dataset manifest's bytes (the manifest lists every
 * shard's SHA-256, so any changed shard changes it) and the sample count. Recorded in the run's
 * {@code data-identity.json} when the run is created; a resume compares it like a config key,
 * {@code data.identity} ({@link RunDirectory#guardResume}).
 */
public record DatasetIdentity(String manifestSha256, long count) {
  /** The pseudo config section the comparison and {@code --allow-change} use. */
  public static final String KEY = "identity";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The identity of the dataset whose manifest is {@code manifest} (any Hadoop URI). */
  public static DatasetIdentity of(Path manifest, long count, Configuration conf)
      throws IOException {
    FileSystem fs = manifest.getFileSystem(conf);
    try (InputStream in = fs.open(manifest)) {
      return new DatasetIdentity(Sha256.of(in), count);
    }
  }

  /** {@code {"manifest_sha256": ..., "count": ...}}. */
  public ObjectNode toTree() {
    ObjectNode n = JSON.createObjectNode();
    n.put("manifest_sha256", manifestSha256);
    n.put("count", count);
    return n;
  }

  static DatasetIdentity fromTree(JsonNode n, String source) {
    if (!n.path("manifest_sha256").isTextual() || !n.path("count").canConvertToLong()) {
      throw new ai.igspark.data.InvalidInputException(
          source + ": expected {\"manifest_sha256\": hex, \"count\": samples}, got " + n);
    }
    return new DatasetIdentity(n.get("manifest_sha256").asText(), n.get("count").asLong());
  }

  /**
   * {@code allowed} plus {@code data.identity} when it allows {@code data.manifest}: pointing the
   * run at another manifest is changing its dataset; what is never silent is a dataset replaced
   * under the same manifest.
   */
  static Collection<String> withImpliedChanges(Collection<String> allowed) {
    if (allowed.stream().noneMatch(a -> RunConfigDiff.covers(a, "data.manifest"))) {
      return allowed;
    }
    Set<String> more = new LinkedHashSet<>(allowed);
    more.add("data." + KEY);
    return more;
  }

  /** A tree naming every key of the identity, for {@code --allow-change} key checks. */
  public static JsonNode keysTree() {
    ObjectNode root = JSON.createObjectNode();
    root.putObject("data").set(KEY, new DatasetIdentity("", 0).toTree());
    return root;
  }

  /** {@code config} with this identity as {@code data.identity} (a copy; null leaves it as is). */
  static JsonNode into(JsonNode config, DatasetIdentity identity) {
    if (identity == null) {
      return config;
    }
    ObjectNode copy = config.deepCopy();
    JsonNode data = copy.get("data");
    ObjectNode section = data instanceof ObjectNode o ? o : copy.putObject("data");
    section.set(KEY, identity.toTree());
    return copy;
  }
}
