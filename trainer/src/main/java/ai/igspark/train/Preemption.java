package ai.igspark.train;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The driver's answer to SIGTERM, SIGUSR1 (Slurm's {@code --signal}) and SIGINT (Ctrl-C): the
 * running segment ends at its next step boundary with a normal checkpoint and commit, and no
 * further segment starts (docs/RELIABILITY.md "Full disk and preemption"). The driver reaches
 * the ranks through a {@link StopRequest} file in the running attempt's directory. A segment that
 * has not ended after {@code cluster.preempt_grace_seconds} is cancelled (LATEST stays); a second
 * signal ends the JVM at once with 128 + the signal's number, as the signal itself would have.
 */
final class Preemption implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Preemption.class);
  private static final List<String> SIGNALS = List.of("TERM", "USR1", "INT");

  private final double graceSeconds;
  private final PrintStream console;
  private final Runnable cancelJobs;
  private final CountDownLatch requested = new CountDownLatch(1);
  private final List<Restore> previous = new ArrayList<>();
  private volatile String signal;
  private volatile boolean graceExpired;
  private boolean closed;
  private Path stopFile;
  private Configuration conf;

  private record Restore(Signal signal, SignalHandler handler) {}

  private Preemption(double graceSeconds, PrintStream console, Runnable cancelJobs) {
    this.graceSeconds = graceSeconds;
    this.console = console;
    this.cancelJobs = cancelJobs;
  }

  /**
   * Handles TERM, USR1 and INT until {@link #close}. A signal the JVM does not let a program
   * handle (USR1 under {@code -Xrs}, say) is skipped with a log line.
   *
   * @param cancelJobs cancels the running Spark jobs once the grace period is over
   */
  static Preemption install(double graceSeconds, PrintStream console, Runnable cancelJobs) {
    Preemption p = new Preemption(graceSeconds, console, cancelJobs);
    for (String name : SIGNALS) {
      try {
        Signal s = new Signal(name);
        p.previous.add(new Restore(s, Signal.handle(s, p::onSignal)));
      } catch (IllegalArgumentException e) {
        LOG.info("SIG{} cannot be handled in this JVM ({}); it keeps its default", name,
            e.getMessage());
      }
    }
    return p;
  }

  /** Whether a signal asked the run to stop. */
  boolean requested() {
    return signal != null;
  }

  /** The signal that asked, e.g. {@code SIGTERM}; null if none. */
  String signal() {
    return signal;
  }

  /** Whether the grace period ran out before the running segment ended. */
  boolean graceExpired() {
    return graceExpired;
  }

  /** Sleeps up to {@code millis}, returning early when a signal asks the run to stop. */
  void sleepUnlessRequested(long millis) throws InterruptedException {
    requested.await(millis, TimeUnit.MILLISECONDS);
  }

  /** A segment runs in {@code attemptUri}: a request, now or later, goes to its ranks. */
  synchronized void segmentStarted(URI attemptUri, Configuration hadoop) throws IOException {
    stopFile = new Path(new Path(attemptUri), StopRequest.FILE);
    conf = hadoop;
    if (requested()) {
      tellRanks();
    }
  }

  /**
   * The segment's job returned: the request file is removed, so the attempt holds only the
   * ranks' files when it is committed.
   */
  synchronized void segmentEnded() throws IOException {
    if (stopFile != null) {
      stopFile.getFileSystem(conf).delete(stopFile, false);
      stopFile = null;
    }
  }

  private void onSignal(Signal s) {
    String name = "SIG" + s.getName();
    if (signal != null) {
      console.printf("igspark: %s again: stopping now; LATEST is unchanged%n", name);
      console.flush();
      System.exit(128 + s.getNumber());
    }
    signal = name;
    console.printf(
        "igspark: %s: finishing the current step, then checkpointing and exiting (within %.0f s;"
            + " %s again stops at once)%n", name, graceSeconds, name);
    console.flush();
    requested.countDown();
    synchronized (this) {
      if (stopFile != null) {
        try {
          tellRanks();
        } catch (IOException e) {
          LOG.warn("cannot write {} to stop the segment: {}", stopFile, e.toString());
        }
      }
    }
    Thread timer = new Thread(this::cancelAfterGrace, "igspark-preempt-grace");
    timer.setDaemon(true);
    timer.start();
  }

  private void tellRanks() throws IOException {
    FileSystem fs = stopFile.getFileSystem(conf);
    fs.create(stopFile, true).close();
  }

  private void cancelAfterGrace() {
    try {
      Thread.sleep(Math.round(graceSeconds * 1000));
    } catch (InterruptedException e) {
      return;
    }
    synchronized (this) {
      if (closed) {
        return;
      }
      // A running segment is lost; an evaluation is cut short (the checkpoint is committed).
      graceExpired = stopFile != null;
    }
    LOG.warn("the driver did not finish within {} s of {}; cancelling its Spark jobs",
        graceSeconds, signal);
    cancelJobs.run();
  }

  /** Gives the signals back to the handlers they had before {@link #install}. */
  @Override
  public synchronized void close() {
    closed = true;
    for (Restore r : previous) {
      Signal.handle(r.signal(), r.handler());
    }
    previous.clear();
  }
}
