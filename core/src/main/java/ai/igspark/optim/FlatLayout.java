package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Named parameters laid end to end, each row-major, cut into groups of consecutive parameters of
 * at most {@code groupFloats} floats (a larger parameter is a group of its own). The flat
 * optimizer and EMA keep one contiguous buffer per group and run each elementwise operation once
 * per group instead of once per parameter; groups bound the size of the step's temporaries.
 *
 * @param names the parameters in map order
 * @param shapes their shapes, in the same order
 * @param groups the groups, in order
 */
record FlatLayout(List<String> names, List<Shape> shapes, List<Group> groups) {

  /** Parameters {@code [first, first + count)}, {@code floats} in all. */
  record Group(int first, int count, long floats) {}

  FlatLayout {
    names = List.copyOf(names);
    shapes = List.copyOf(shapes);
    groups = List.copyOf(groups);
  }

  /** The layout of {@code params} (in map order). */
  static FlatLayout of(Map<String, NDArray> params, long groupFloats) {
    List<Shape> shapes = new ArrayList<>();
    params.values().forEach(p -> shapes.add(p.getShape()));
    return of(new ArrayList<>(params.keySet()), shapes, groupFloats);
  }

  /** The layout of tensors {@code names} with {@code shapes} (as the views will be shaped). */
  static FlatLayout of(List<String> names, List<Shape> shapes, long groupFloats) {
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
  long[] splitPoints(Group g) {
    long[] points = new long[g.count() - 1];
    long at = 0;
    for (int i = 0; i < points.length; i++) {
      at += shapes.get(g.first() + i).size();
      points[i] = at;
    }
    return points;
  }
}
