package ai.igspark.ckpt;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The real local filesystem with one fault injected: renames whose target matches {@link
 * #failRenamesTo} throw an {@link IOException} (before touching anything), a given number of
 * times. Registered for the {@code file} scheme through {@link #configuration()}, as a FileSystem
 * and, via {@link Afs}, for FileContext; every rename path of both ends in {@link Raw#rename}.
 */
public class FaultyLocalFileSystem extends LocalFileSystem {
  static volatile Predicate<Path> failRenames = p -> false;
  static final AtomicInteger remaining = new AtomicInteger();
  static final AtomicInteger injected = new AtomicInteger();

  public FaultyLocalFileSystem() {
    super(new Raw());
  }

  static void failRenamesTo(Predicate<Path> target, int times) {
    failRenames = target;
    injected.set(0);
    remaining.set(times);
  }

  static void reset() {
    failRenames = p -> false;
    remaining.set(0);
    injected.set(0);
  }

  static Configuration configuration() {
    Configuration conf = new Configuration();
    conf.set("fs.file.impl", FaultyLocalFileSystem.class.getName());
    conf.setBoolean("fs.file.impl.disable.cache", true);
    conf.set("fs.AbstractFileSystem.file.impl", Afs.class.getName());
    return conf;
  }

  /** The raw local filesystem, whose rename may fail on request. */
  public static class Raw extends RawLocalFileSystem {
    @Override
    public boolean rename(Path src, Path dst) throws IOException {
      if (failRenames.test(dst) && remaining.getAndDecrement() > 0) {
        injected.incrementAndGet();
        throw new IOException("injected fault: rename " + src + " → " + dst);
      }
      return super.rename(src, dst);
    }
  }

  /** FileContext's view of {@link FaultyLocalFileSystem}. */
  public static class Afs extends DelegateToFileSystem {
    public Afs(URI uri, Configuration conf) throws IOException, URISyntaxException {
      super(uri, new FaultyLocalFileSystem(), conf, "file", false);
    }
  }
}
