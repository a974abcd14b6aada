package ai.igspark.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.igspark.data.InvalidInputException;
import ai.igspark.tensor.DeviceTransfer;
import ai.igspark.tensor.FlatLayout;
import ai.igspark.tensor.FlatParameters;
import ai.igspark.tensor.GradModeOff;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exponential moving average of the parameters, as DiT/SiT's {@code update_ema}: initialized as a
 * copy, then {@code ema ← decay·ema + (1 − decay)·p} after every optimizer step (decay 0.9999,
 * docs/METHOD.md §2.5).
 *
 * <p>Flat: the average of each {@link FlatLayout} group is one contiguous buffer, updated with
 * one {@code cat} of the group's parameters and three kernels; the weights are views of it. For
 * flat parameters ({@link FlatParameters}) the average shares their groups and reads each group's
 * buffer directly: three kernels per group and no gather. Each element sees the same operations
 * as a per-parameter update, so the result is bitwise the same.
 */
public final class Ema {
  public static final float DEFAULT_DECAY = 0.9999f;

  private final float decay;
  private final NDManager manager;
  private final FlatLayout layout;
  private final List<NDArray> flat = new ArrayList<>();
  /** Per group, the parameter buffer it averages directly, or null to gather its members. */
  private final List<NDArray> direct;
  /** Views of {@link #flat} by parameter name. */
  private final Map<String, NDArray> shadow = new LinkedHashMap<>();

  /** Starts as a copy of {@code params}, held in a sub-manager of {@code manager}. */
  public Ema(NDManager manager, Map<String, NDArray> params, float decay) {
    this(manager, params, decay, AdamW.defaultGroupFloats(
        params.isEmpty() ? manager.getDevice() : params.values().iterator().next().getDevice()));
  }

  /** As above, with groups of at most {@code groupFloats} floats. */
  public Ema(NDManager manager, Map<String, NDArray> params, float decay, long groupFloats) {
    this(manager, FlatLayout.of(params, groupFloats), null, params, decay);
  }

  /**
   * An average of {@code extras} (separate arrays, first in its order) and of the flat {@code
   * params}, whose groups it shares: each of those groups is averaged straight from its buffer,
   * with no gather. {@link #update} must then be given these same parameters.
   */
  public Ema(NDManager manager, Map<String, NDArray> extras, FlatParameters params, float decay) {
    this(manager, FlatLayout.of(extras, AdamW.defaultGroupFloats(manager.getDevice())), extras,
        params, decay);
  }

  private Ema(NDManager manager, FlatLayout extrasLayout, Map<String, NDArray> extras,
      FlatParameters params, float decay) {
    this(manager, join(extrasLayout, params.layout()), directSources(extrasLayout, params),
        joined(extras, params.views()), decay);
  }

  /** {@code direct}: per group, the buffer to average directly or null; null for none. */
  private Ema(NDManager manager, FlatLayout layout, List<NDArray> direct,
      Map<String, NDArray> params, float decay) {
    checkDecay(decay);
    this.decay = decay;
    this.manager = manager.newSubManager();
    this.layout = layout;
    this.direct = direct != null
        ? new ArrayList<>(direct) : Collections.nCopies(layout.groups().size(), null);
    List<NDArray> ps = new ArrayList<>(params.values());
    try (GradModeOff off = new GradModeOff();
        NDScope scope = new NDScope()) {
      for (FlatLayout.Group g : layout.groups()) {
        NDArray buffer = FlatBuffers.copy(FlatBuffers.members(ps, g));
        buffer.attach(this.manager);
        NDScope.unregister(buffer); // the EMA outlives any scope open around its creation
        flat.add(buffer);
        List<NDArray> views = layout.views(buffer, g);
        for (int k = 0; k < views.size(); k++) {
          NDScope.unregister(views.get(k));
          shadow.put(layout.names().get(g.first() + k), views.get(k));
        }
      }
    }
  }

  /** {@code first}'s groups, then {@code second}'s after them. */
  private static FlatLayout join(FlatLayout first, FlatLayout second) {
    List<String> names = new ArrayList<>(first.names());
    names.addAll(second.names());
    List<ai.djl.ndarray.types.Shape> shapes = new ArrayList<>(first.shapes());
    shapes.addAll(second.shapes());
    List<FlatLayout.Group> groups = new ArrayList<>(first.groups());
    int shift = first.names().size();
    for (FlatLayout.Group g : second.groups()) {
      groups.add(new FlatLayout.Group(g.first() + shift, g.count(), g.floats()));
    }
    return new FlatLayout(names, shapes, groups);
  }

  /** Per group: null for the extras' groups (gathered), the buffer for each flat group. */
  private static List<NDArray> directSources(FlatLayout extras, FlatParameters params) {
    List<NDArray> out = new ArrayList<>(Collections.nCopies(extras.groups().size(), null));
    for (int i = 0; i < params.layout().groups().size(); i++) {
      out.add(params.buffer(i));
    }
    return out;
  }

  private static Map<String, NDArray> joined(Map<String, NDArray> a, Map<String, NDArray> b) {
    Map<String, NDArray> out = new LinkedHashMap<>(a);
    out.putAll(b);
    return out;
  }

  /**
   * The accepted decays, here and for the run config's {@code train.ema_decay}: [0, 1), since a
   * decay of 1 would keep the initial copy forever (so would one that rounds to 1 in float32, the
   * precision the average runs in). Returns {@code decay}.
   */
  public static double checkDecay(double decay) {
    if (!(decay >= 0 && (float) decay < 1f)) {
      throw new InvalidInputException("ema_decay must be in [0, 1), got " + decay);
    }
    return decay;
  }

  public float decay() {
    return decay;
  }

  public void update(Map<String, NDArray> params) {
    List<NDArray> ps = new ArrayList<>(layout.names().size());
    for (String name : layout.names()) {
      NDArray p = params.get(name);
      if (p == null) {
        throw new IllegalArgumentException("EMA: parameter '" + name + "' not given");
      }
      ps.add(p);
    }
    try (GradModeOff off = new GradModeOff();
        Scalars s = Scalars.unscoped()) {
      for (int i = 0; i < flat.size(); i++) {
        try (NDScope scope = new NDScope()) {
          NDArray p = direct.get(i) != null
              ? direct.get(i)
              : FlatBuffers.concat(FlatBuffers.members(ps, layout.groups().get(i)));
          flat.get(i).muli(s.of(p, decay)).addi(p.mul(s.of(p, 1f - decay)));
        }
      }
    }
  }

  /** The live EMA weights by parameter name (do not close them). */
  public Map<String, NDArray> weights() {
    return Collections.unmodifiableMap(shadow);
  }

  /** Replaces the EMA weights by copies of {@code weights}, which must hold every parameter. */
  public void load(Map<String, NDArray> weights) {
    for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
      NDArray src = weights.get(e.getKey());
      if (src == null || !src.getShape().equals(e.getValue().getShape())) {
        throw new InvalidInputException(
            "EMA weights: '"
                + e.getKey()
                + "' is "
                + (src == null ? "missing" : "of shape " + src.getShape())
                + ", expected shape "
                + e.getValue().getShape());
      }
    }
    for (Map.Entry<String, NDArray> e : shadow.entrySet()) {
      DeviceTransfer.writeInto(
          e.getValue(), FloatBuffer.wrap(DeviceTransfer.download(weights.get(e.getKey()))));
    }
  }
}
