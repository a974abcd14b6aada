package ai.igspark.train;

import java.io.IOException;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A rank's view of the driver's request to end the segment early (preemption, {@link
 * Preemption}): the driver creates {@link #FILE} in the attempt directory, and each rank looks for
 * it at most every 250 ms, at a step boundary. A rank's answer only votes: the vote rides with
 * the step's gradients ({@link SegmentSync}), so every rank stops after the same step.
 */
final class StopRequest {
  /** The file the driver creates in the attempt directory; removed again before the commit. */
  static final String FILE = "STOP";
  private static final long POLL_NANOS = 250_000_000L;

  private final FileSystem fs;
  private final Path file;
  private long nextPoll;
  private boolean seen;

  private StopRequest(FileSystem fs, Path file) {
    this.fs = fs;
    this.file = file;
    this.nextPoll = System.nanoTime();
  }

  static StopRequest in(String attemptUri, Configuration conf) throws IOException {
    Path file = new Path(new Path(URI.create(attemptUri)), FILE);
    return new StopRequest(file.getFileSystem(conf), file);
  }

  /** 1 when this rank has seen the request, else 0; one file-system look-up per 250 ms at most. */
  double vote() throws IOException {
    if (!seen && System.nanoTime() - nextPoll >= 0) {
      seen = fs.exists(file);
      nextPoll = System.nanoTime() + POLL_NANOS;
    }
    return seen ? 1 : 0;
  }
}
