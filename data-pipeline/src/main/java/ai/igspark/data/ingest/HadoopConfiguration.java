package ai.igspark.data.ingest;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;

/**
 * A Hadoop {@link Configuration} that travels to Spark tasks (Configuration is Writable, not
 * Serializable), so executors open the same file systems with the driver's settings.
 */
public final class HadoopConfiguration implements Serializable {
  private static final long serialVersionUID = 1L;
  private final byte[] written;
  private transient Configuration conf;

  public HadoopConfiguration(Configuration conf) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      conf.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.written = bytes.toByteArray();
    this.conf = conf;
  }

  public Configuration get() {
    if (conf == null) {
      Configuration c = new Configuration(false);
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(written))) {
        c.readFields(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      conf = c;
    }
    return conf;
  }
}
