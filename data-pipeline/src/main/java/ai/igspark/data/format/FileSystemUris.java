package ai.igspark.data.format;

import ai.igspark.data.InvalidInputException;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Turns the URIs users type into Hadoop paths: anything with a scheme ({@code hdfs://…}, {@code
 * file:/…}, {@code s3a://…}) is taken as is; a bare path is a local file (never the cluster's
 * default file system), so {@code data/fmnist} means the same thing on a laptop and a cluster.
 */
public final class FileSystemUris {
  private FileSystemUris() {}

  public static Path toPath(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new InvalidInputException("empty path or URI");
    }
    URI u;
    try {
      u = new URI(uri);
    } catch (java.net.URISyntaxException e) {
      u = null; // a local path with characters a URI does not allow
    }
    if (u != null && u.getScheme() != null && u.getScheme().length() > 1) {
      return new Path(u);
    }
    return new Path(new File(uri).getAbsoluteFile().toURI());
  }

  public static FileSystem fileSystem(Path path, Configuration conf) {
    try {
      return path.getFileSystem(conf);
    } catch (IOException e) {
      throw new InvalidInputException(path + ": no file system for this URI: " + e.getMessage(), e);
    }
  }
}
