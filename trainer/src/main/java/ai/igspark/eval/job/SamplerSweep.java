package ai.igspark.eval.job;

import ai.igspark.data.InvalidInputException;
import ai.igspark.eval.SamplerKey;
import ai.igspark.eval.SamplerSpec;
import ai.igspark.eval.SamplerSpecParser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The settings of a sweep ({@code evaluate --sweep ig-scale=1.2,1.4 ig-interval=0.3:1,0:1}): every
 * combination of the swept values over a base {@link SamplerSpec}, each value read by {@link
 * SamplerSpecParser}. Any {@link SamplerKey} is sweepable; values are comma-separated, so an
 * interval is written {@code LO:HI}. The first key of {@link SamplerKey}'s order varies slowest.
 */
public final class SamplerSweep {
  private SamplerSweep() {}

  /** Every combination of {@code items} ({@code KEY=V1,V2,...}) over {@code base}, in order. */
  public static List<SamplerSpec> expand(SamplerSpec base, List<String> items) {
    Map<SamplerKey, List<String>> axes = new EnumMap<>(SamplerKey.class);
    for (String item : items) {
      int eq = item.indexOf('=');
      SamplerKey key = eq < 0 ? null : SamplerKey.ofSweepName(item.substring(0, eq).trim());
      if (key == null || item.substring(eq + 1).isBlank()) {
        throw new InvalidInputException(
            "--sweep: '" + item + "', expected KEY=V1,V2,... with KEY one of "
                + Arrays.stream(SamplerKey.values()).map(SamplerKey::sweepName).toList()
                + " (intervals as LO:HI, e.g. ig-interval=0.3:1,0:1)");
      }
      List<String> values = List.of(item.substring(eq + 1).split(","));
      if (key == SamplerKey.IG_INTERVAL || key == SamplerKey.CFG_INTERVAL) {
        for (String v : values) {
          if (!v.contains(":")) {
            throw new InvalidInputException(
                "--sweep: '" + item + "': interval '" + v + "' must be LO:HI (commas separate"
                    + " the intervals), e.g. " + key.sweepName() + "=0.3:1,0:1");
          }
        }
      }
      axes.put(key, values);
    }
    List<SamplerSpec> out = new ArrayList<>();
    combine(base, new ArrayList<>(axes.entrySet()), 0, out);
    return out;
  }

  private static void combine(
      SamplerSpec current, List<Map.Entry<SamplerKey, List<String>>> axes, int axis,
      List<SamplerSpec> out) {
    if (axis == axes.size()) {
      out.add(current);
      return;
    }
    SamplerKey key = axes.get(axis).getKey();
    for (String value : axes.get(axis).getValue()) {
      combine(
          SamplerSpecParser.from(current, SamplerSpecParser.SWEEP_NAMES).set(key, value).build(),
          axes, axis + 1, out);
    }
  }
}
