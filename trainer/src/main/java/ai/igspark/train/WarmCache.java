package ai.igspark.train;

import java.util.List;
import java.util.Optional;

/**
 * The training state an executor JVM keeps between segments (docs/ARCHITECTURE.md §4: "executors
 * keep a warm cache keyed by (run id, step)"). Data-parallel replicas are identical, so any rank's
 * state is valid for any rank. A segment takes the entry (so a failed segment can never leave a
 * half-trained state behind) and puts its state back only after it finished.
 */
final class WarmCache {
  private static String runId;
  private static long step;
  private static List<TrainingState> state;

  private WarmCache() {}

  static synchronized Optional<List<TrainingState>> take(String run, long atStep) {
    if (state != null && run.equals(runId) && step == atStep) {
      List<TrainingState> s = state;
      state = null;
      return Optional.of(s);
    }
    clear();
    return Optional.empty();
  }

  static synchronized void put(String run, long atStep, List<TrainingState> s) {
    clear();
    runId = run;
    step = atStep;
    state = s;
  }

  static synchronized void clear() {
    if (state != null) {
      state.forEach(TrainingState::close);
      state = null;
    }
  }
}
