package ai.igspark.collective;

import java.util.ArrayList;
import java.util.List;

/**
 * The order of one lane's ring steps for every bucket: W−1 reduce-scatter steps, then W−1
 * all-gather steps. In reduce-scatter step s, rank r sends chunk r−s and adds the incoming chunk
 * r−s−1 to its own, so after the last step it holds the full sum of chunk r+1; in all-gather step
 * s it forwards chunk r+1−s and receives chunk r−s (ranks and chunks mod W). The same for every
 * bucket, so it is made once per lane.
 */
final class LaneSchedule {

  /**
   * One step.
   *
   * @param reduce true in reduce-scatter (the incoming chunk is added), false in all-gather (it
   *     is stored)
   * @param sendChunk the chunk sent to the right neighbour
   * @param recvChunk the chunk received from the left neighbour
   * @param lastReduce the last reduce-scatter step: the sum this rank owns is complete
   * @param label the step as named in errors, e.g. "reduce-scatter step 1/3"
   */
  record Step(boolean reduce, int sendChunk, int recvChunk, boolean lastReduce, String label) {}

  private final List<Step> steps;

  LaneSchedule(int rank, int worldSize) {
    int w = worldSize;
    List<Step> s = new ArrayList<>(2 * (w - 1));
    for (int i = 0; i < w - 1; i++) {
      s.add(new Step(true, Math.floorMod(rank - i, w), Math.floorMod(rank - i - 1, w),
          i == w - 2, "reduce-scatter step " + (i + 1) + "/" + (w - 1)));
    }
    for (int i = 0; i < w - 1; i++) {
      s.add(new Step(false, Math.floorMod(rank + 1 - i, w), Math.floorMod(rank - i, w),
          false, "all-gather step " + (i + 1) + "/" + (w - 1)));
    }
    steps = List.copyOf(s);
  }

  List<Step> steps() {
    return steps;
  }
}
