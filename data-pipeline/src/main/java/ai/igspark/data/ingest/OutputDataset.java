package ai.igspark.data.ingest;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.DatasetWriter;
import ai.igspark.data.format.FileSystemUris;
import java.io.IOException;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Decides what to do with an ingestion's output directory: a committed dataset is kept unless
 * {@code force}; leftovers of an unfinished run are cleared; anything else (a directory holding
 * files igspark did not write) is refused rather than deleted.
 */
public final class OutputDataset {
  /** Files an ingestion writes: shards, their temporaries, the manifest and the skip report. */
  private static final Pattern OURS =
      Pattern.compile(
          "[A-Za-z0-9_.-]*-\\d{5}\\.safetensors|\\..*\\.tmp|"
              + Pattern.quote(DatasetManifest.FILE_NAME)
              + "|"
              + Pattern.quote(DatasetWriter.SKIPPED_REPORT)
              + "|classes\\.txt|_SUCCESS|\\..*\\.crc");

  private OutputDataset() {}

  /** Whether {@code dirUri} holds a committed dataset (a dataset.json). */
  public static boolean isCommitted(String dirUri, Configuration conf) {
    Path manifest = DatasetManifest.manifestPath(dirUri);
    try {
      return FileSystemUris.fileSystem(manifest, conf).exists(manifest);
    } catch (IOException e) {
      throw new InvalidInputException(manifest + ": cannot check: " + e.getMessage(), e);
    }
  }

  /**
   * Empties {@code dirUri} of a previous ingestion's files so a new one can start. Refuses when it
   * holds a committed dataset and {@code force} is false, or when it holds other files.
   */
  public static void clear(String dirUri, boolean force, Configuration conf) {
    Path dir = FileSystemUris.toPath(dirUri);
    FileSystem fs = FileSystemUris.fileSystem(dir, conf);
    try {
      if (!fs.exists(dir)) {
        return;
      }
      if (!fs.getFileStatus(dir).isDirectory()) {
        throw new InvalidInputException(dir + ": exists and is not a directory");
      }
      if (isCommitted(dirUri, conf) && !force) {
        throw new InvalidInputException(
            dir + " already holds a dataset (dataset.json); pass --force to replace it");
      }
      FileStatus[] entries = fs.listStatus(dir);
      for (FileStatus e : entries) {
        if (e.isDirectory() || !OURS.matcher(e.getPath().getName()).matches()) {
          throw new InvalidInputException(
              dir + " holds " + e.getPath().getName() + ", which igspark did not write; choose "
                  + "an empty or new output directory");
        }
      }
      // The manifest goes first: from here on the directory is not a dataset any more.
      fs.delete(new Path(dir, DatasetManifest.FILE_NAME), false);
      for (FileStatus e : entries) {
        fs.delete(e.getPath(), false);
      }
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot clear: " + e.getMessage(), e);
    }
  }
}
