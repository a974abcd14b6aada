package ai.igspark.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.bytedeco.javacpp.Pointer;

/**
 * Resident native memory of this JVM, one definition for every memory test so that their figures
 * compare: the Rss of anonymous mappings smaller than 256 MB (malloc arenas, the brk heap,
 * large-tensor mmaps, thread stacks), leaving out the JVM's big reservations (Java heap of -Xmx4g,
 * code cache, class space) and file mappings, whose pages are first touched as the JVM warms up,
 * which is noise here.
 */
public final class NativeMemory {
  private NativeMemory() {}

  /**
   * VmRSS once the garbage of the steps is collected: a GC, a pause for the cleaners of direct
   * buffers (DJL copies Java arrays into direct buffers), then the smallest of a few readings,
   * because the GC itself briefly touches tens of MB.
   */
  public static long settledRssKb() throws IOException {
    return settled(false);
  }

  /**
   * {@link #settledRssKb()} after glibc's {@code malloc_trim(0)} (through JavaCPP, already a
   * dependency) has returned the allocator's free pages, so that memory freed by the steps but
   * cached by malloc does not count as in use.
   */
  public static long trimmedRssKb() throws IOException {
    return settled(true);
  }

  private static long settled(boolean trim) throws IOException {
    System.gc();
    long min = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (trim) {
        Pointer.trimMemory();
      }
      min = Math.min(min, rssKb());
    }
    return min;
  }

  public static long rssKb() throws IOException {
    long total = 0;
    boolean counted = false;
    for (String line : Files.readAllLines(Paths.get("/proc/self/smaps"))) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 5 && f[0].matches("[0-9a-f]+-[0-9a-f]+")) {
        String[] range = f[0].split("-");
        long size = Long.parseUnsignedLong(range[1], 16) - Long.parseUnsignedLong(range[0], 16);
        counted = f[4].equals("0") && size < (256L << 20);
      } else if (counted && f[0].equals("Rss:")) {
        total += Long.parseLong(f[1]);
      }
    }
    return total;
  }
}
