package ai.igspark.ckpt;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.igspark.testsupport.MiniHdfs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Times checkpoint write + commit (+ verified load) for ~10 MB and ~200 MB on the local disk and
 * on an in-process HDFS. Run on purpose only:
 *
 * <pre>
 * mvn -B -q -o -pl trainer -am test -Pslow -Dtest=CheckpointCommitBenchmark \
 *     -Digspark.bench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * Figures go to stdout and target/ckpt-bench.txt (docs/benchmarks/ckpt.md quotes them).
 */
@Tag("slow")
class CheckpointCommitBenchmark {
  private static final int REPEATS = 5;
  private final List<String> lines = new ArrayList<>();

  @Test
  void writeAndCommitTimes() throws Exception {
    assumeTrue(Boolean.getBoolean("igspark.bench"), "set -Digspark.bench=true to run");
    java.nio.file.Path local = java.nio.file.Path.of("target/ckpt-bench-local");
    lines.add("| filesystem | size | write (hash in stream) | commit, verify sizes | commit, "
        + "re-hash | load, re-hash | write+commit MB/s |");
    lines.add("|---|---|---|---|---|---|---|");
    Path localRoot = new Path(local.toAbsolutePath().toUri());
    localRoot.getFileSystem(new Configuration()).delete(localRoot, true);
    bench(null, localRoot, new Configuration(), 10); // warm-up, not reported
    for (long mb : new long[] {10, 200}) {
      bench("local disk", localRoot, new Configuration(), mb);
    }
    try (MiniHdfs hdfs = MiniHdfs.named("bench").start()) {
      bench(null, new Path(hdfs.uri("/bench")), hdfs.conf(), 10);
      for (long mb : new long[] {10, 200}) {
        bench("MiniDFS (1 DN, repl. 1)", new Path(hdfs.uri("/bench")), hdfs.conf(), mb);
      }
    }
    lines.forEach(System.out::println);
    Files.write(java.nio.file.Path.of("target/ckpt-bench.txt"), lines);
  }

  private void bench(String label, Path root, Configuration conf, long mb) throws IOException {
    long[] write = new long[REPEATS];
    long[] commitSizes = new long[REPEATS];
    long[] commitHash = new long[REPEATS];
    long[] load = new long[REPEATS];
    byte[] block = new byte[1 << 20];
    new Random(1).nextBytes(block);
    for (int r = 0; r < REPEATS; r++) {
      for (boolean rehash : new boolean[] {false, true}) {
        CheckpointStore store = new CheckpointStore(
            new Path(root, "mb" + mb + "-" + r + "-" + rehash + "/checkpoints"), conf,
            CommitPolicy.defaults().withRetries(0, Duration.ZERO).withVerification(rehash, true));
        long step = 1000;
        long t0 = System.nanoTime();
        String attempt = store.newAttempt(step);
        CheckpointWriter w = store.writer(step, attempt);
        // Optimizer state is twice the model; EMA equals the model (fp32 AdamW).
        writeFile(w, "model.safetensors", mb / 4, block);
        writeFile(w, "ema.safetensors", mb / 4, block);
        writeFile(w, "optimizer.safetensors", mb - 2 * (mb / 4), block);
        long t1 = System.nanoTime();
        store.commit(step, attempt, CheckpointFixtures.state(step), w.files());
        long t2 = System.nanoTime();
        if (rehash) {
          commitHash[r] = t2 - t1;
          long t3 = System.nanoTime();
          Checkpoint c = store.latest().orElseThrow();
          for (FileEntry f : c.files()) {
            try (InputStream in = c.read(f.name())) {
              in.transferTo(java.io.OutputStream.nullOutputStream());
            }
          }
          load[r] = System.nanoTime() - t3;
        } else {
          write[r] = t1 - t0;
          commitSizes[r] = t2 - t1;
        }
        store.dir().getFileSystem(conf).delete(store.dir().getParent(), true);
      }
    }
    if (label == null) {
      return;
    }
    double w = median(write);
    double cs = median(commitSizes);
    lines.add(String.format(Locale.ROOT,
        "| %s | %d MB | %.2f s | %.3f s | %.2f s | %.2f s | %.0f |", label, mb, w, cs, median(commitHash), median(load), mb / (w + cs)));
  }

  private static void writeFile(CheckpointWriter w, String name, long mb, byte[] block)
      throws IOException {
    w.write(name, out -> {
      for (long i = 0; i < mb; i++) {
        block[0] = (byte) i; // not all blocks identical
        out.write(block);
      }
    });
  }

  /** Median in seconds. */
  private static double median(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return s[s.length / 2] / 1e9;
  }
}
