package ai.igspark.data.format;

/**
 * One shard as listed in dataset.json.
 *
 * @param path relative to the dataset directory
 * @param count samples in the shard
 * @param sha256 lower-case hex digest of the whole file
 * @param bytes file size
 */
public record ShardEntry(String path, long count, String sha256, long bytes) {}
