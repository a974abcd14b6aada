package ai.igspark.data.ingest;

import ai.igspark.data.InvalidInputException;
import ai.igspark.data.Sha256;
import ai.igspark.data.format.DatasetKind;
import ai.igspark.data.format.DatasetManifest;
import ai.igspark.data.format.DatasetWriter;
import ai.igspark.data.format.FileSystemUris;
import ai.igspark.data.format.LabelMode;
import ai.igspark.data.format.Normalization;
import ai.igspark.data.format.ShardEntry;
import ai.igspark.data.format.ShardSpec;
import ai.igspark.data.format.ShardWriter;
import ai.igspark.data.format.VaeIdentity;
import ai.igspark.tensorfile.DType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * ImageNet-style class folders → a latent dataset, as a Spark job (docs/ARCHITECTURE.md §2).
 *
 * <p>The driver lists the class folders (sorted by name: label ids as torchvision's ImageFolder
 * gives them) and their image files, and splits the file list into contiguous slices, one per
 * task. Each task decodes its files, applies the ADM center crop (docs/METHOD.md §2.6), maps
 * pixels to [-1, 1], encodes them with the user's TorchScript VAE (and, with {@code flips}, their
 * mirror images too) and writes its own shards. Files that do not decode are skipped and reported.
 * The driver then writes classes.txt and skipped.txt and commits dataset.json last.
 */
public final class ImageFolderIngestJob {
  /** torchvision's IMG_EXTENSIONS. */
  static final Set<String> IMAGE_EXTENSIONS =
      Set.of(".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp");

  public static final String CLASSES_FILE = "classes.txt";

  /**
   * What to ingest and how.
   *
   * @param sourceUri root of the class folders (local path or Hadoop URI)
   * @param outputUri dataset directory to write
   * @param vaeFile TorchScript encoder, float NCHW in [-1, 1] → latents
   * @param vaeName a name for the manifest (e.g. sd-vae-ft-mse, vavae-f16d32)
   * @param latentShape declared [C, H, W] of one latent
   * @param resolution side of the ADM center crop (256 for ImageNet 256)
   * @param flips also encode each crop's mirror image (stored as latents_flip)
   * @param storedDType F32, F16 or BF16
   * @param normalization to record in the manifest (how the trainer scales the latents)
   * @param tasks number of Spark tasks (0: four per default-parallelism slot)
   * @param batchSize images per VAE call
   * @param shardBytes about this many bytes per shard
   * @param force replace an existing dataset
   */
  public record Options(
      String sourceUri,
      String outputUri,
      Path vaeFile,
      String vaeName,
      int[] latentShape,
      int resolution,
      boolean flips,
      DType storedDType,
      Normalization normalization,
      int tasks,
      int batchSize,
      long shardBytes,
      boolean force) {}

  /** An image to encode and its label. */
  record Item(String uri, String relative, int label) implements Serializable {}

  /** What one task did. */
  record TaskResult(int partition, List<ShardEntry> shards, List<String> skipped, long encoded)
      implements Serializable {}

  /** The committed manifest, the class names and the number of files skipped. */
  public record Result(DatasetManifest manifest, List<String> classes, long skipped) {}

  private ImageFolderIngestJob() {}

  public static Result run(
      JavaSparkContext sc, Options o, Configuration conf, Progress progress) {
    return run(sc, o, conf, progress, null);
  }

  /** As above, the encoding stage on {@code profile} (stage-level scheduling); null: default. */
  public static Result run(JavaSparkContext sc, Options o, Configuration conf, Progress progress,
      ResourceProfile profile) {
    if (o.latentShape().length != 3) {
      throw new InvalidInputException(
          "latent shape must be C,H,W, got " + Arrays.toString(o.latentShape()));
    }
    OutputDataset.clear(o.outputUri(), o.force(), conf);
    progress.begin("listing " + o.sourceUri(), -1);
    List<String> classes = new ArrayList<>();
    List<Item> items = list(o.sourceUri(), conf, classes);
    progress.end();
    if (items.isEmpty()) {
      throw new InvalidInputException(
          o.sourceUri() + ": the class folders hold no image files (extensions "
              + new java.util.TreeSet<>(IMAGE_EXTENSIONS) + ")");
    }
    // Check the encoder on the driver first: a wrong file or shape fails before any task runs.
    try (TorchScriptVae vae = TorchScriptVae.load(o.vaeFile(), o.latentShape())) {
      vae.encode(new float[3 * o.resolution() * o.resolution()], 1, o.resolution());
    }
    String vaeSha256 = Sha256.of(o.vaeFile());
    int tasks =
        (int) Math.min(items.size(), o.tasks() > 0 ? o.tasks() : 4L * sc.defaultParallelism());
    int perTask = (items.size() + tasks - 1) / tasks;
    int perShard =
        Math.min(
            perTask,
            ShardSpec.samplesFor(o.shardBytes(), o.latentShape()[0], o.latentShape()[1],
                o.latentShape()[2], o.storedDType(), DatasetKind.LATENTS, o.flips()));

    ShardSpec spec =
        new ShardSpec(o.latentShape()[0], o.latentShape()[1], o.latentShape()[2],
            o.storedDType(), DatasetKind.LATENTS, o.flips(), classes.size(), perShard);
    sc.addFile(o.vaeFile().toAbsolutePath().toString());
    TaskSpec task =
        new TaskSpec(o.outputUri(), o.vaeFile().getFileName().toString(),
            o.vaeFile().toString(), o.latentShape(),
            o.resolution(), o.flips(), o.batchSize(), spec, new HadoopConfiguration(conf));
    List<List<Item>> slices = new ArrayList<>();
    for (int i = 0; i < items.size(); i += perTask) {
      slices.add(new ArrayList<>(items.subList(i, Math.min(items.size(), i + perTask))));
    }

    // Progress in images: a task's slice counts when the task succeeds.
    long[] sliceSizes = slices.stream().mapToLong(List::size).toArray();
    AtomicLong done = new AtomicLong();
    BitSet finished = new BitSet();
    SparkListener listener =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            int p = end.taskInfo().index();
            synchronized (finished) {
              if (end.taskInfo().successful() && p < sliceSizes.length && !finished.get(p)) {
                finished.set(p);
                done.addAndGet(sliceSizes[p]);
              }
            }
          }
        };
    List<TaskResult> results;
    sc.sc().addSparkListener(listener);
    progress.begin("encoding " + items.size() + " images in " + slices.size() + " tasks",
        items.size());
    try {
      JavaFutureAction<List<TaskResult>> job =
          (profile == null ? sc.parallelize(slices, slices.size())
                  : sc.parallelize(slices, slices.size()).withResources(profile))
              .mapPartitionsWithIndex(
                  (index, it) -> Collections.singletonList(task.run(index, it)).iterator(), true)
              .collectAsync();
      long shown = 0;
      while (true) {
        try {
          results = job.get(250, TimeUnit.MILLISECONDS);
          break;
        } catch (TimeoutException e) {
          long now = done.get();
          progress.advance(now - shown);
          shown = now;
        }
      }
      progress.advance(items.size() - shown);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      while (cause != null) {
        if (cause instanceof InvalidInputException bad) {
          throw new InvalidInputException(bad.getMessage(), e);
        }
        cause = cause.getCause();
      }
      throw new IllegalStateException("image-folder ingestion failed: " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      sc.sc().removeSparkListener(listener);
      progress.end();
    }

    results = new ArrayList<>(results);
    results.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
    List<ShardEntry> shards = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (TaskResult r : results) {
      shards.addAll(r.shards());
      skipped.addAll(r.skipped());
    }
    for (String s : skipped) {
      progress.note("skipped " + s.replace("\t", ": "));
    }
    if (shards.isEmpty()) {
      throw new InvalidInputException(
          o.sourceUri() + ": none of the " + items.size() + " image files could be decoded");
    }
    writeText(o.outputUri(), CLASSES_FILE, String.join("\n", classes) + "\n", conf);
    if (!skipped.isEmpty()) {
      writeText(o.outputUri(), DatasetWriter.SKIPPED_REPORT, String.join("\n", skipped) + "\n",
          conf);
    }
    long count = shards.stream().mapToLong(ShardEntry::count).sum();
    DatasetManifest manifest =
        new DatasetManifest(
            DatasetManifest.FORMAT_VERSION,
            List.of(o.latentShape()[0], o.latentShape()[1], o.latentShape()[2]),
            o.storedDType(),
            classes.size(),
            count,
            DatasetKind.LATENTS,
            o.flips(),
            LabelMode.CLASS,
            o.normalization(),
            new VaeIdentity(o.vaeName(), vaeSha256),
            "image folder " + o.sourceUri() + " (" + classes.size() + " classes, ADM center crop "
                + o.resolution() + ")",
            skipped.size(),
            skipped.isEmpty() ? null : DatasetWriter.SKIPPED_REPORT,
            shards);
    DatasetManifest.commit(o.outputUri(), manifest, conf);
    return new Result(manifest, List.copyOf(classes), skipped.size());
  }

  /** Class folders sorted by name → labels 0..K-1; their image files, recursively, sorted. */
  static List<Item> list(String sourceUri, Configuration conf, List<String> classesOut) {
    org.apache.hadoop.fs.Path root = FileSystemUris.toPath(sourceUri);
    FileSystem fs = FileSystemUris.fileSystem(root, conf);
    List<Item> items = new ArrayList<>();
    try {
      if (!fs.exists(root) || !fs.getFileStatus(root).isDirectory()) {
        throw new InvalidInputException(
            root + ": image folder not found (expected a directory with one sub-directory per "
                + "class)");
      }
      List<String> classes = new ArrayList<>();
      for (FileStatus st : fs.listStatus(root)) {
        if (st.isDirectory() && !st.getPath().getName().startsWith(".")) {
          classes.add(st.getPath().getName());
        }
      }
      Collections.sort(classes);
      if (classes.isEmpty()) {
        throw new InvalidInputException(
            root + ": no class folders (expected one sub-directory per class, e.g. "
                + "n01440764/…)");
      }
      for (int label = 0; label < classes.size(); label++) {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(root, classes.get(label));
        List<String> files = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
        while (it.hasNext()) {
          org.apache.hadoop.fs.Path p = it.next().getPath();
          if (isImage(p.getName())) {
            files.add(p.toString());
          }
        }
        Collections.sort(files);
        String prefix = dir.toString() + "/";
        for (String f : files) {
          String rel = classes.get(label) + "/" + (f.startsWith(prefix)
              ? f.substring(prefix.length()) : new org.apache.hadoop.fs.Path(f).getName());
          items.add(new Item(f, rel, label));
        }
      }
      classesOut.addAll(classes);
      return items;
    } catch (IOException e) {
      throw new InvalidInputException(root + ": cannot list: " + e.getMessage(), e);
    }
  }

  static boolean isImage(String name) {
    int dot = name.lastIndexOf('.');
    return dot >= 0 && IMAGE_EXTENSIONS.contains(name.substring(dot).toLowerCase(Locale.ROOT));
  }

  private static void writeText(String dirUri, String name, String text, Configuration conf) {
    org.apache.hadoop.fs.Path dir = FileSystemUris.toPath(dirUri);
    FileSystem fs = FileSystemUris.fileSystem(dir, conf);
    try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(dir, name), true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new InvalidInputException(dir + ": cannot write " + name + ": " + e.getMessage(), e);
    }
  }

  /** The executor side: everything a task needs, serialised into the closure. */
  record TaskSpec(
      String outputUri,
      String vaeFileName,
      String vaeDisplayName,
      int[] latentShape,
      int resolution,
      boolean flips,
      int batchSize,
      ShardSpec spec,
      HadoopConfiguration conf)
      implements Serializable {

    TaskResult run(int partition, Iterator<List<Item>> slices) {
      List<ShardEntry> shards;
      List<String> skipped = new ArrayList<>();
      long encoded = 0;
      Configuration c = conf.get();
      ShardWriter writer =
          ShardWriter.create(outputUri, String.format("part-%05d", partition), spec, c);
      Path vaeCopy = Path.of(SparkFiles.get(vaeFileName));
      try (TorchScriptVae vae = TorchScriptVae.load(vaeCopy, latentShape, vaeDisplayName)) {
        int plane = 3 * resolution * resolution;
        int latentSize = latentShape[0] * latentShape[1] * latentShape[2];
        float[] batch = new float[batchSize * plane];
        float[] flipped = flips ? new float[batchSize * plane] : null;
        int[] labels = new int[batchSize];
        int n = 0;
        while (slices.hasNext()) {
          for (Item item : slices.next()) {
            RgbImage crop;
            try {
              crop = AdmCenterCrop.apply(decode(item, c), resolution);
            } catch (ImageDecoder.UndecodableImageException e) {
              skipped.add(item.relative() + "\t" + e.getMessage());
              continue;
            }
            crop.toSignedUnitChw(batch, n * plane);
            if (flips) {
              crop.flipHorizontally().toSignedUnitChw(flipped, n * plane);
            }
            labels[n++] = item.label();
            if (n == batchSize) {
              encoded += encodeAndAdd(vae, writer, batch, flipped, labels, n, latentSize);
              n = 0;
            }
          }
        }
        if (n > 0) {
          encoded += encodeAndAdd(vae, writer, batch, flipped, labels, n, latentSize);
        }
      }
      shards = new ArrayList<>(writer.finish());
      return new TaskResult(partition, shards, skipped, encoded);
    }

    private int encodeAndAdd(TorchScriptVae vae, ShardWriter writer, float[] batch,
        float[] flipped, int[] labels, int n, int latentSize) {
      float[] z = vae.encode(n == batchSize ? batch : Arrays.copyOf(batch, n * 3 * resolution
          * resolution), n, resolution);
      float[] zf = null;
      if (flipped != null) {
        zf = vae.encode(n == batchSize ? flipped : Arrays.copyOf(flipped, n * 3 * resolution
            * resolution), n, resolution);
      }
      for (int i = 0; i < n; i++) {
        writer.add(Arrays.copyOfRange(z, i * latentSize, (i + 1) * latentSize),
            zf == null ? null : Arrays.copyOfRange(zf, i * latentSize, (i + 1) * latentSize),
            labels[i]);
      }
      return n;
    }

    private static RgbImage decode(Item item, Configuration c)
        throws ImageDecoder.UndecodableImageException {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(item.uri());
      byte[] bytes;
      try (InputStream in = p.getFileSystem(c).open(p)) {
        bytes = in.readAllBytes();
      } catch (IOException e) {
        throw new ImageDecoder.UndecodableImageException("cannot read: " + e.getMessage(), e);
      }
      return ImageDecoder.decode(bytes);
    }
  }
}
