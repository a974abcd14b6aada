package ai.igspark.ckpt;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cost per GB of the verifying reader ({@link Checkpoint#read}: size + SHA-256 against the
 * manifest, plus Hadoop's CRC on the local disk) against plain reads of the same committed
 * checkpoint, files in the page cache so the hashing, not the disk, is measured. Run on purpose:
 *
 * <pre>
 * mvn -B -q -o -pl trainer -am test -Pslow -Dtest=VerifiedReadBenchmark \
 *     -Digspark.bench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * Lines start with {@code BENCH verified read}; also in target/verified-read-bench.txt.
 */
@Tag("slow")
class VerifiedReadBenchmark {
  private static final int REPEATS = 5;
  private static final long MIB = 1 << 20;

  @Test
  void costPerGigabyteOfAVerifiedRead() throws Exception {
    assumeTrue(Boolean.getBoolean("igspark.bench"), "set -Digspark.bench=true to run");
    long mib = Long.getLong("igspark.bench.mib", 1024);
    java.nio.file.Path local = java.nio.file.Path.of("target/verified-read-bench").toAbsolutePath();
    Configuration conf = new Configuration();
    Path root = new Path(local.toUri());
    FileSystem.getLocal(conf).delete(root, true);
    CheckpointStore store = new CheckpointStore(root, conf,
        CommitPolicy.defaults().withRetries(0, Duration.ZERO).withVerification(false, false));
    Checkpoint c = commit(store, mib);
    double gb = c.manifest().files().stream().mapToLong(FileEntry::size).sum() / 1e9;
    LocalFileSystem checksummed = FileSystem.getLocal(conf);
    FileSystem raw = checksummed.getRaw();

    plain(raw, c); // warm the page cache
    double rawS = median(() -> plain(raw, c));
    double crcS = median(() -> plain(checksummed, c));
    double verifiedS = median(() -> {
      for (FileEntry f : c.manifest().files()) {
        c.verify(f.name());
      }
    });
    double loadS = median(() -> store.open(c.step())); // structure only: verify_on_load false
    byte[] block = new byte[(int) (256 * MIB)];
    new Random(1).nextBytes(block);
    double shaS = median(() -> {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(block);
      d.digest();
    }) * (1e9 / block.length);

    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT, "BENCH verified read: %.2f GB committed checkpoint on the"
        + " local disk, page cache warm, %d runs, median", gb, REPEATS));
    lines.add(String.format(Locale.ROOT,
        "BENCH verified read: plain read (raw local fs)      %.3f s/GB", rawS / gb));
    lines.add(String.format(Locale.ROOT,
        "BENCH verified read: read with Hadoop CRC           %.3f s/GB", crcS / gb));
    lines.add(String.format(Locale.ROOT,
        "BENCH verified read: Checkpoint.read (CRC + SHA-256) %.3f s/GB, +%.3f s/GB over the"
            + " CRC read", verifiedS / gb, (verifiedS - crcS) / gb));
    lines.add(String.format(Locale.ROOT,
        "BENCH verified read: SHA-256 alone, in memory       %.3f s/GB", shaS));
    lines.add(String.format(Locale.ROOT,
        "BENCH verified read: structural check (manifest, listing, sizes, state) %.1f ms",
        loadS * 1000));
    lines.forEach(System.out::println);
    java.nio.file.Files.write(java.nio.file.Path.of("target/verified-read-bench.txt"), lines);
    FileSystem.getLocal(conf).delete(root, true);
  }

  private static Checkpoint commit(CheckpointStore store, long mib) throws IOException {
    String attempt = store.newAttempt(1);
    CheckpointWriter w = store.writer(1, attempt);
    byte[] block = new byte[(int) MIB];
    new Random(7).nextBytes(block);
    long[] sizes = {mib / 4, mib / 4, mib - 2 * (mib / 4)};
    String[] names = {ResumeFiles.MODEL, ResumeFiles.EMA, ResumeFiles.OPTIMIZER};
    for (int i = 0; i < names.length; i++) {
      long n = sizes[i];
      w.write(names[i], out -> {
        for (long b = 0; b < n; b++) {
          block[0] = (byte) b;
          out.write(block);
        }
      });
    }
    return store.commit(1, attempt, CheckpointFixtures.state(1), w.files());
  }

  private static void plain(FileSystem fs, Checkpoint c) throws IOException {
    for (FileEntry f : c.manifest().files()) {
      try (InputStream in = fs.open(new Path(c.dir(), f.name()))) {
        in.transferTo(OutputStream.nullOutputStream());
      }
    }
  }

  private interface Timed {
    void run() throws Exception;
  }

  /** Median seconds of {@link #REPEATS} runs. */
  private static double median(Timed body) throws Exception {
    long[] t = new long[REPEATS];
    for (int r = 0; r < REPEATS; r++) {
      long t0 = System.nanoTime();
      body.run();
      t[r] = System.nanoTime() - t0;
    }
    Arrays.sort(t);
    return t[REPEATS / 2] / 1e9;
  }
}
