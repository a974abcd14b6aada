package ai.igspark.tensor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Named parameters laid end to end, each row-major, cut into groups of consecutive parameters of
 * at most {@code groupFloats} floats (a larger parameter is a group of its own). The model keeps
 * its trainable parameters as views of one contiguous buffer per group ({@link FlatParameters}),
 * and the flat optimizer and EMA keep theirs the same way, so each elementwise operation of a step
 * runs once per group instead of once per parameter; groups bound the size of the temporaries.
 *
 * @param names the parameters in map order
 * @param shapes their shapes, in the same order
 * @param groups the groups, in order
 */
public record FlatLayout(List<String> names, List<Shape> shapes, List<Group> groups) {

  /** Parameters {@code [first, first + count)}, {@code floats} in all. */
  public record Group(int first, int count, long floats) {}

  /**
   * Floats per group on a GPU: 16 Mi (64 MiB), so a SiT-XL/2 step is a few dozen groups of a few
   * kernels each; the group also bounds each temporary of the step.
   */
  public static final long GPU_GROUP_FLOATS = 1L << 24;

  /**
   * Floats per group on a CPU: 2 Mi (8 MiB). Larger groups were 2–4 times slower there: their
   * temporaries leave the cache, and glibc maps and unmaps each one afresh
   * (docs/benchmarks/optimizer.md §2). Group size never changes the results.
   */
  public static final long CPU_GROUP_FLOATS = 1L << 21;

  /** The group size for state on {@code device}. */
  public static long defaultGroupFloats(Device device) {
    return device.isGpu() ? GPU_GROUP_FLOATS : CPU_GROUP_FLOATS;
  }

  public FlatLayout {
    names = List.copyOf(names);
    shapes = List.copyOf(shapes);
    groups = List.copyOf(groups);
  }

  /** The layout of {@code params} (in map order). */
  public static FlatLayout of(Map<String, NDArray> params, long groupFloats) {
    List<Shape> shapes = new ArrayList<>();
    params.values().forEach(p -> shapes.add(p.getShape()));
    return of(new ArrayList<>(params.keySet()), shapes, groupFloats);
  }

  /** The layout of tensors {@code names} with {@code shapes} (as the views will be shaped). */
  public static FlatLayout of(List<String> names, List<Shape> shapes, long groupFloats) {
    if (groupFloats < 1) {
      throw new IllegalArgumentException("groupFloats must be at least 1, got " + groupFloats);
    }
    List<Group> groups = new ArrayList<>();
    int first = 0;
    long fill = 0;
    for (int i = 0; i < shapes.size(); i++) {
      long size = shapes.get(i).size();
      if (i > first && fill + size > groupFloats) {
        groups.add(new Group(first, i - first, fill));
        first = i;
        fill = 0;
      }
      fill += size;
    }
    if (first < shapes.size()) {
      groups.add(new Group(first, shapes.size() - first, fill));
    }
    return new FlatLayout(names, shapes, groups);
  }

  /** The split points of group {@code g}'s flat buffer between its parameters. */
  public long[] splitPoints(Group g) {
    long[] points = new long[g.count() - 1];
    long at = 0;
    for (int i = 0; i < points.length; i++) {
      at += shapes.get(g.first() + i).size();
      points[i] = at;
    }
    return points;
  }

  /**
   * Views of {@code flat} (group {@code g}'s buffer) as the group's tensors, in order: one {@code
   * split} and a {@code reshape} each, libtorch views sharing the buffer's storage. Made in grad
   * mode from a buffer that requires grad, they are the autograd graph's way back to it: backward
   * through them accumulates one contiguous gradient into the buffer.
   */
  public List<NDArray> views(NDArray flat, Group g) {
    NDList pieces = flat.split(splitPoints(g));
    List<NDArray> out = new ArrayList<>(g.count());
    for (int i = 0; i < g.count(); i++) {
      out.add(pieces.get(i).reshape(shapes.get(g.first() + i)));
      if (pieces.get(i) != flat) {
        pieces.get(i).close();
      }
    }
    return out;
  }

  /** The group's names, in order. */
  public List<String> names(Group g) {
    return names.subList(g.first(), g.first() + g.count());
  }
}
