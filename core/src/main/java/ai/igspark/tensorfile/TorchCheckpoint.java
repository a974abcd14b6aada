package ai.igspark.tensorfile;

import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.ClassDict;
import net.razorvine.pickle.objects.ClassDictConstructor;

/**
 * A checkpoint as {@code torch.save} writes it (the zip format of torch ≥ 1.6): {@code
 * <prefix>/data.pkl} holds the object graph, {@code <prefix>/data/<key>} one raw little-endian
 * storage each. The pickle is read with Pyrolite (docs/PLATFORM.md §1, "Official .pt
 * checkpoints through a pickle library"); tensors come back as C-contiguous {@link HostTensor}s,
 * dicts as {@code Map<String, Object>} (insertion ordered), tuples as {@code Object[]}, lists as
 * {@code List}, numbers as {@code Integer}/{@code Long}/{@code Double}.
 *
 * <pre>{@code
 * TorchCheckpoint ckpt = TorchCheckpoint.read(Path.of("SiT-XL-2-256.pt"));
 * Map<String, HostTensor> ema = ckpt.stateDict("ema");
 * }</pre>
 *
 * <p>About 500 lines because it is one format: the zip layout, the pickle constructors torch
 * registers (tensor rebuild, storages, ordered dicts) and their error messages belong together.
 */
public final class TorchCheckpoint {
  private static final Map<String, DType> STORAGE_TYPES = Map.ofEntries(
      Map.entry("FloatStorage", DType.F32),
      Map.entry("HalfStorage", DType.F16),
      Map.entry("BFloat16Storage", DType.BF16),
      Map.entry("DoubleStorage", DType.F64),
      Map.entry("LongStorage", DType.I64),
      Map.entry("IntStorage", DType.I32),
      Map.entry("ShortStorage", DType.I16),
      Map.entry("CharStorage", DType.I8),
      Map.entry("ByteStorage", DType.U8),
      Map.entry("BoolStorage", DType.BOOL));

  static {
    // Pyrolite's registry is global; these constructors are stateless, so sharing is harmless.
    STORAGE_TYPES.forEach((name, dtype) ->
        Unpickler.registerConstructor("torch", name, new StorageType(name, dtype)));
    Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", TorchCheckpoint::rebuild);
    Unpickler.registerConstructor("torch._utils", "_rebuild_tensor", TorchCheckpoint::rebuild);
    Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", args -> args[0]);
    Unpickler.registerConstructor(
        "torch._utils", "_rebuild_parameter_with_state", args -> args[0]);
    Unpickler.registerConstructor("collections", "OrderedDict", args -> new OrderedDict());
  }

  private final Path file;
  private final Object root;

  private TorchCheckpoint(Path file, Object root) {
    this.file = file;
    this.root = root;
  }

  /** Reads a whole checkpoint into memory. */
  public static TorchCheckpoint read(Path file) {
    return load(file, null);
  }

  /**
   * Reads only the tensors of one top-level entry (e.g. "ema"): the storages of every other
   * entry (model, optimizer moments) are never loaded, so a 10 GB training checkpoint can be
   * imported with the memory of its EMA weights. Contiguous tensors that fill their storage share
   * its bytes instead of being copied.
   */
  public static Map<String, HostTensor> readStateDict(Path file, String key) {
    return load(file, key).stateDict(key);
  }

  private static TorchCheckpoint load(Path file, String onlyKey) {
    String source = file.toString();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      ZipEntry pkl = Collections.list(zip.entries()).stream()
          .filter(e -> e.getName().endsWith("data.pkl") && e.getName().indexOf('/') > 0
              && e.getName().indexOf('/') == e.getName().lastIndexOf('/'))
          .findFirst()
          .orElseThrow(() -> new InvalidInputException(source + ": not a torch.save checkpoint "
              + "(the zip holds no <prefix>/data.pkl)"));
      String prefix = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
      ZipEntry order = zip.getEntry(prefix + "byteorder");
      if (order != null) {
        try (InputStream in = zip.getInputStream(order)) {
          String bo = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
          if (!bo.trim().equals("little")) {
            throw new InvalidInputException(source + ": storages are " + bo.trim()
                + "-endian; only little-endian checkpoints are supported");
          }
        }
      }
      StorageUnpickler unpickler = new StorageUnpickler(zip, prefix);
      Object root;
      try (InputStream in = zip.getInputStream(pkl)) {
        root = unpickler.load(in);
      }
      if (onlyKey != null && root instanceof Map<?, ?> m) {
        if (!m.containsKey(onlyKey)) {
          throw new InvalidInputException(source + ": no key '" + onlyKey + "' (the checkpoint "
              + "has " + m.keySet() + ")");
        }
        Map<String, Object> only = new LinkedHashMap<>();
        only.put(onlyKey, m.get(onlyKey));
        root = only;
      }
      // storages are read here, while the archive is open, and only for what is kept
      return new TorchCheckpoint(file, normalize(root));
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new InvalidInputException(source + ": no such file");
    } catch (ZipException e) {
      throw new InvalidInputException(source + ": not a torch.save zip checkpoint ("
          + e.getMessage() + "); legacy (pre-1.6) checkpoints must be re-saved with a newer torch");
    } catch (UnsupportedStorage e) {
      throw new InvalidInputException(source + ": " + e.getMessage());
    } catch (PickleException e) {
      throw new InvalidInputException(source + ": cannot unpickle data.pkl: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new InvalidInputException(source + ": cannot read: " + e.getMessage(), e);
    }
  }

  public Path file() {
    return file;
  }

  /** The unpickled top-level object (usually a {@code Map<String, Object>}). */
  public Object root() {
    return root;
  }

  /** The top-level dict's keys in order, or an empty list when the root is not a dict. */
  public List<String> keys() {
    return root instanceof Map<?, ?> m ? m.keySet().stream().map(String::valueOf).toList()
        : List.of();
  }

  /**
   * The state dict under {@code key} (e.g. "ema", "model"), every value a tensor; names keep
   * their order. Fails, naming the file, when the key is missing or holds something else.
   */
  public Map<String, HostTensor> stateDict(String key) {
    if (!(root instanceof Map<?, ?> m)) {
      throw new InvalidInputException(file + ": the checkpoint is a " + describe(root)
          + ", not a dict with key '" + key + "'");
    }
    if (!m.containsKey(key)) {
      throw new InvalidInputException(file + ": no key '" + key + "' (the checkpoint has "
          + keys() + ")");
    }
    return tensors(m.get(key), key);
  }

  /** The checkpoint itself as a state dict (a bare {@code torch.save(model.state_dict())}). */
  public Map<String, HostTensor> stateDict() {
    return tensors(root, "the top level");
  }

  private Map<String, HostTensor> tensors(Object value, String where) {
    if (!(value instanceof Map<?, ?> m)) {
      throw new InvalidInputException(file + ": " + where + " is a " + describe(value)
          + ", not a state dict");
    }
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getValue() instanceof HostTensor t)) {
        throw new InvalidInputException(file + ": " + where + "['" + e.getKey() + "'] is a "
            + describe(e.getValue()) + ", not a tensor");
      }
      out.put(String.valueOf(e.getKey()), t);
    }
    return out;
  }

  private static String describe(Object v) {
    if (v == null) {
      return "None";
    }
    if (v instanceof ClassDict cd) {
      return cd.getClassName();
    }
    if (v instanceof Map<?, ?>) {
      return "dict";
    }
    return v.getClass().getSimpleName();
  }

  // ---- unpickling ------------------------------------------------------------------------------

  /** {@code collections.OrderedDict}; BUILD hands it {@code _metadata}, which is dropped. */
  public static final class OrderedDict extends LinkedHashMap<Object, Object> {
    public void __setstate__(HashMap<?, ?> state) {
      // torch stores per-module versions (_metadata) here; tensors do not depend on it
    }
  }

  /** The constructor object the pickle's {@code GLOBAL torch.FloatStorage} resolves to. */
  private record StorageType(String name, DType dtype) implements IObjectConstructor {
    @Override
    public Object construct(Object[] args) {
      throw new PickleException("torch." + name + " cannot be constructed directly");
    }
  }

  /** One raw storage, shared by every tensor that views it; its bytes are read on first use. */
  private static final class Storage {
    final String key;
    final DType dtype;
    final long numel;
    private final ZipFile zip;
    private final String entry;
    private ByteBuffer bytes;

    Storage(String key, DType dtype, long numel, ZipFile zip, String entry) {
      this.key = key;
      this.dtype = dtype;
      this.numel = numel;
      this.zip = zip;
      this.entry = entry;
    }

    ByteBuffer bytes() {
      if (bytes == null) {
        ZipEntry e = zip.getEntry(entry);
        if (e == null) {
          throw new PickleException("storage " + key + " is missing from the archive");
        }
        byte[] data;
        try (InputStream in = zip.getInputStream(e)) {
          data = in.readAllBytes();
        } catch (IOException ex) {
          throw new PickleException("cannot read storage " + key + ": " + ex.getMessage());
        }
        if (data.length != numel * dtype.byteSize()) {
          throw new PickleException("storage " + key + " has " + data.length + " bytes, expected "
              + numel + " x " + dtype);
        }
        bytes = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      }
      return bytes;
    }
  }

  /** A tensor as the pickle describes it: a strided view of a storage, not yet read. */
  private record TensorView(Storage storage, long offset, long[] shape, long[] stride) {}

  private static final class UnsupportedStorage extends RuntimeException {
    UnsupportedStorage(String message) {
      super(message);
    }
  }

  /** Resolves {@code ('storage', type, key, location, numel)} ids to the archive's raw files. */
  private static final class StorageUnpickler extends Unpickler {
    private final ZipFile zip;
    private final String prefix;
    private final Map<String, Storage> storages = new HashMap<>();

    StorageUnpickler(ZipFile zip, String prefix) {
      this.zip = zip;
      this.prefix = prefix;
    }

    /**
     * Opcodes redone here: Pyrolite builds dicts as {@code HashMap}s and fills them through a
     * {@code HashMap}, which loses the key order a state dict needs; it fails on any object of an
     * unregistered class that takes constructor arguments; and its BUILD looks {@code
     * __setstate__} up by the state's exact class.
     */
    @Override
    protected Object dispatch(short key) throws IOException {
      switch (key) {
        case '}' -> { // EMPTY_DICT
          stack.add(new LinkedHashMap<>());
          return NO_RETURN_VALUE;
        }
        case 'd' -> { // DICT
          Map<Object, Object> dict = new LinkedHashMap<>();
          putPairs(dict, stack.pop_all_since_marker());
          stack.add(dict);
          return NO_RETURN_VALUE;
        }
        case 'R', 0x81 -> { // REDUCE, NEWOBJ
          Object[] args = (Object[]) stack.pop();
          Object callable = stack.pop();
          stack.add(callable instanceof ClassDictConstructor unknown && args.length > 0
              ? opaque(unknown, args)
              : ((IObjectConstructor) callable).construct(args));
          return NO_RETURN_VALUE;
        }
        case 'b' -> { // BUILD: Pyrolite looks __setstate__ up by the state's exact class
          Object state = stack.pop();
          build(stack.peek(), state);
          return NO_RETURN_VALUE;
        }
        case 'u' -> { // SETITEMS
          List<Object> pairs = stack.pop_all_since_marker();
          @SuppressWarnings("unchecked")
          Map<Object, Object> dict = (Map<Object, Object>) stack.peek();
          putPairs(dict, pairs);
          return NO_RETURN_VALUE;
        }
        default -> {
          return super.dispatch(key);
        }
      }
    }

    /**
     * An object of a class nothing is registered for (argparse.Namespace, numpy scalars and
     * arrays in an "args" entry, …): kept as a ClassDict with its constructor arguments rather
     * than failing the whole checkpoint over metadata no one reads.
     */
    private static ClassDict opaque(ClassDictConstructor type, Object[] args) {
      ClassDict dict = (ClassDict) type.construct(new Object[0]);
      dict.put("__args__", args);
      return dict;
    }

    private static void build(Object instance, Object state) {
      for (java.lang.reflect.Method m : instance.getClass().getMethods()) {
        if (m.getName().equals("__setstate__") && m.getParameterCount() == 1
            && m.getParameterTypes()[0].isInstance(state)) {
          try {
            m.invoke(instance, state);
            return;
          } catch (ReflectiveOperationException e) {
            throw new PickleException("cannot set the state of " + describe(instance) + ": " + e);
          }
        }
      }
      if (instance instanceof ClassDict cd) {
        cd.put("__state__", state); // e.g. (dict, slots) tuples: kept, not interpreted
        return;
      }
      throw new PickleException("cannot set the state of " + describe(instance));
    }

    private static void putPairs(Map<Object, Object> dict, List<Object> pairs) {
      for (int i = 0; i + 1 < pairs.size(); i += 2) {
        dict.put(pairs.get(i), pairs.get(i + 1));
      }
    }

    @Override
    protected Object persistentLoad(Object pid) {
      if (!(pid instanceof Object[] t) || t.length < 5 || !"storage".equals(t[0])) {
        throw new PickleException("unexpected persistent id " + deepString(pid));
      }
      DType dtype = storageDType(t[1]);
      String key = String.valueOf(t[2]);
      long numel = ((Number) t[4]).longValue();
      return storages.computeIfAbsent(
          key, k -> new Storage(k, dtype, numel, zip, prefix + "data/" + k));
    }

    private DType storageDType(Object type) {
      if (type instanceof StorageType st) {
        return st.dtype();
      }
      String name = type instanceof ClassDictConstructor c
          ? ((ClassDict) c.construct(new Object[0])).getClassName()
          : String.valueOf(type);
      throw new UnsupportedStorage("unsupported storage type " + name + " (supported: torch."
          + String.join(", torch.", STORAGE_TYPES.keySet().stream().sorted().toList()) + ")");
    }
  }

  /**
   * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks, …)}:
   * checks the view against its storage; the bytes are read when the tensor is materialised.
   */
  private static Object rebuild(Object[] args) {
    if (!(args[0] instanceof Storage storage)) {
      throw new PickleException("tensor without a storage: " + deepString(args[0]));
    }
    long offset = ((Number) args[1]).longValue();
    long[] shape = longs(args[2]);
    long[] stride = longs(args[3]);
    if (shape.length != stride.length) {
      throw new PickleException("tensor shape " + Arrays.toString(shape) + " and stride "
          + Arrays.toString(stride) + " differ in rank");
    }
    if (HostTensor.numel(shape) > 0) {
      long last = offset;
      for (int i = 0; i < shape.length; i++) {
        if (stride[i] < 0) {
          throw new PickleException("negative stride " + Arrays.toString(stride));
        }
        last += (shape[i] - 1) * stride[i];
      }
      if (offset < 0 || last >= storage.numel) {
        throw new PickleException("tensor " + Arrays.toString(shape) + " at offset " + offset
            + " with stride " + Arrays.toString(stride) + " overruns its storage of "
            + storage.numel + " elements");
      }
    }
    return new TensorView(storage, offset, shape, stride);
  }

  /** Copies a strided view into a C-contiguous tensor (or shares a whole contiguous storage). */
  private static HostTensor materialise(TensorView v) {
    Storage storage = v.storage();
    long[] shape = v.shape();
    long[] stride = v.stride();
    int size = storage.dtype.byteSize();
    long numel = HostTensor.numel(shape);
    ByteBuffer src = storage.bytes();
    if (isContiguous(shape, stride)) {
      ByteBuffer view = src.slice((int) (v.offset() * size), (int) (numel * size))
          .order(ByteOrder.LITTLE_ENDIAN);
      return new HostTensor(storage.dtype, shape, view);
    }
    ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(numel * size))
        .order(ByteOrder.LITTLE_ENDIAN);
    byte[] bytes = src.array();
    long[] index = new long[shape.length];
    for (long n = 0; n < numel; n++) {
      long element = v.offset();
      for (int d = 0; d < shape.length; d++) {
        element += index[d] * stride[d];
      }
      out.put(bytes, (int) (element * size), size);
      for (int d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) {
          break;
        }
        index[d] = 0;
      }
    }
    out.flip();
    return new HostTensor(storage.dtype, shape, out);
  }

  private static boolean isContiguous(long[] shape, long[] stride) {
    long expected = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      if (shape[d] != 1 && stride[d] != expected) {
        return false;
      }
      expected *= shape[d];
    }
    return true;
  }

  private static long[] longs(Object tuple) {
    Object[] t = tuple instanceof Object[] a ? a : ((List<?>) tuple).toArray();
    long[] out = new long[t.length];
    for (int i = 0; i < t.length; i++) {
      out[i] = ((Number) t[i]).longValue();
    }
    return out;
  }

  /**
   * Materialises tensors and turns Pyrolite's dicts into String-keyed insertion-ordered maps,
   * recursively.
   */
  private static Object normalize(Object v) {
    if (v instanceof TensorView t) {
      return materialise(t);
    }
    if (v instanceof ClassDict cd) {
      cd.replaceAll((k, x) -> normalize(x));
      return cd;
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, x) -> out.put(String.valueOf(k), normalize(x)));
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      l.forEach(x -> out.add(normalize(x)));
      return out;
    }
    if (v instanceof Object[] a) {
      Object[] out = new Object[a.length];
      for (int i = 0; i < a.length; i++) {
        out[i] = normalize(a[i]);
      }
      return out;
    }
    return v;
  }

  private static String deepString(Object o) {
    return o instanceof Object[] a ? Arrays.deepToString(a) : String.valueOf(o);
  }
}
