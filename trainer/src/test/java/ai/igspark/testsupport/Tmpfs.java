package ai.igspark.testsupport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * A small tmpfs mounted for one test, so that a full disk is real: writes fail with ENOSPC and
 * Hadoop's local file system throws its {@code FSError}. Mounting needs root; where it is not
 * allowed {@link #mount} makes the test a skipped one (or {@link #tryMount} says so).
 */
public final class Tmpfs implements AutoCloseable {
  private final Path mountPoint;

  private Tmpfs(Path mountPoint) {
    this.mountPoint = mountPoint;
  }

  /** A tmpfs of {@code size} (e.g. {@code 8m}) at {@code mountPoint}; skips the test if none. */
  public static Tmpfs mount(Path mountPoint, String size) throws IOException, InterruptedException {
    Tmpfs t = tryMount(mountPoint, size);
    assumeTrue(t != null, "cannot mount a tmpfs at " + mountPoint);
    return t;
  }

  /** As {@link #mount}, or null where mounting is not allowed. */
  public static Tmpfs tryMount(Path mountPoint, String size)
      throws IOException, InterruptedException {
    Files.createDirectories(mountPoint);
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs",
        mountPoint.toString()).redirectErrorStream(true).start();
    boolean ok = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    if (!ok) {
      System.err.println("cannot mount a tmpfs at " + mountPoint + ": "
          + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
      return null;
    }
    return new Tmpfs(mountPoint);
  }

  public Path path() {
    return mountPoint;
  }

  /** Fills the file system to its last byte, holds it full for {@code millis}, then frees it. */
  public void fillFor(long millis) throws IOException, InterruptedException {
    Path filler = mountPoint.resolve("filler");
    try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      writeUntilFull(ch, 64 << 10);
      writeUntilFull(ch, 1); // the rest of the last page
      Thread.sleep(millis);
    } finally {
      Files.deleteIfExists(filler);
    }
  }

  private static void writeUntilFull(FileChannel ch, int chunkBytes) {
    ByteBuffer chunk = ByteBuffer.allocate(chunkBytes);
    try {
      while (true) {
        chunk.clear();
        ch.write(chunk);
      }
    } catch (IOException full) {
      // No space left on device
    }
  }

  /**
   * Unmounts, waiting up to 30 s for processes that still hold a file there (an executor that
   * is being stopped, say); then detaches it lazily, so the test's directory can be removed.
   */
  @Override
  public void close() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!umount() && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
    if (isMounted()) {
      new ProcessBuilder("umount", "--lazy", mountPoint.toString()).inheritIO().start()
          .waitFor();
    }
  }

  private boolean umount() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("umount", mountPoint.toString()).redirectErrorStream(true)
        .start();
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  private boolean isMounted() throws IOException {
    String target = " " + mountPoint.toAbsolutePath() + " ";
    return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
        .anyMatch(line -> line.contains(target));
  }
}
