package ai.igspark.clusterconfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.JarURLConnection;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import org.apache.spark.internal.config.ConfigEntry;
import org.apache.spark.launcher.SparkLauncher;

/**
 * The Spark property names Spark itself knows, for checking the cluster-config templates.
 *
 * <p>Spark registers every {@link ConfigEntry} in a global table when the Scala object declaring
 * it initialises, so this class initialises those objects and then asks {@code
 * ConfigEntry.findEntry(key)}:
 *
 * <ul>
 *   <li>every top-level object of {@code org.apache.spark.internal.config} in spark-core (the
 *       {@code package} object, {@code Worker}, {@code Deploy}, {@code Kryo}, {@code UI}, ...),
 *       found by listing spark-core's jar;
 *   <li>{@code org.apache.spark.deploy.yarn.config.package} (spark-yarn) and {@code
 *       org.apache.spark.deploy.k8s.Config} (spark-kubernetes), test dependencies.
 * </ul>
 *
 * <p>Two more sources, also Spark's own: the {@code spark.*} constants of {@link SparkLauncher}
 * ({@code spark.master} and {@code spark.app.name} are read by name, not registered), and
 * families of keys with a variable part, as prefix rules ({@link #families()}).
 */
final class SparkConfigKeys {
  static final String CORE_CONFIG = "org.apache.spark.internal.config.package$";
  static final String YARN_CONFIG = "org.apache.spark.deploy.yarn.config.package$";
  static final String K8S_CONFIG = "org.apache.spark.deploy.k8s.Config$";

  private final List<String> loadedObjects;
  private final TreeSet<String> launcherKeys;
  private final List<Family> families;

  /** A family of keys with a variable part: {@code prefix + <anything matching rest>}. */
  record Family(String prefix, Pattern rest, String source) {
    boolean matches(String key) {
      return key.startsWith(prefix) && rest.matcher(key.substring(prefix.length())).matches();
    }
  }

  private SparkConfigKeys(
      List<String> loadedObjects, TreeSet<String> launcherKeys, List<Family> families) {
    this.loadedObjects = loadedObjects;
    this.launcherKeys = launcherKeys;
    this.families = families;
  }

  static SparkConfigKeys load() {
    List<String> objects = new ArrayList<>();
    for (String name : coreConfigObjects()) {
      initialise(name);
      objects.add(name);
    }
    initialise(YARN_CONFIG);
    objects.add(YARN_CONFIG);
    initialise(K8S_CONFIG);
    objects.add(K8S_CONFIG);

    TreeSet<String> launcher = new TreeSet<>();
    for (Field field : SparkLauncher.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
        String value = (String) staticValue(field);
        if (value.startsWith("spark.") && !value.endsWith(".")) {
          launcher.add(value);
        }
      }
    }
    return new SparkConfigKeys(
        Collections.unmodifiableList(objects), launcher, List.copyOf(families(K8S_CONFIG)));
  }

  /** Names of the Scala objects whose ConfigEntries were registered. */
  List<String> loadedObjects() {
    return loadedObjects;
  }

  List<Family> families() {
    return families;
  }

  /** How Spark knows {@code key}, or empty when it does not. */
  Optional<String> explain(String key) {
    ConfigEntry<?> entry = ConfigEntry.findEntry(key);
    if (entry != null) {
      return Optional.of("ConfigEntry " + entry.key());
    }
    if (launcherKeys.contains(key)) {
      return Optional.of("SparkLauncher constant");
    }
    for (Family family : families) {
      if (family.matches(key)) {
        return Optional.of("family " + family.prefix() + "* (" + family.source() + ")");
      }
    }
    return Optional.empty();
  }

  boolean knows(String key) {
    return explain(key).isPresent();
  }

  /**
   * Key families with a variable part. Where Spark declares the prefix as a constant it is read
   * from there (every {@code *_PREFIX} string of the Kubernetes {@code Config} object); the rest
   * are written out, each with the Spark code that reads it.
   */
  private static List<Family> families(String k8sConfig) {
    Pattern any = Pattern.compile("[^\\s]+");
    // ResourceUtils: spark.{driver,executor,task,worker}.resource.<name>.<amount|discoveryScript|
    // vendor>; tasks take only an amount.
    Pattern resource = Pattern.compile("[A-Za-z0-9_-]+\\.(amount|discoveryScript|vendor)");
    Pattern taskResource = Pattern.compile("[A-Za-z0-9_-]+\\.amount");
    List<Family> families = new ArrayList<>();
    families.add(new Family("spark.executorEnv.", any, "SparkConf.setExecutorEnv"));
    families.add(new Family("spark.hadoop.", any, "SparkHadoopUtil.appendSparkHadoopConfigs"));
    families.add(new Family("spark.driver.resource.", resource, "ResourceUtils"));
    families.add(new Family("spark.executor.resource.", resource, "ResourceUtils"));
    families.add(new Family("spark.worker.resource.", resource, "ResourceUtils"));
    families.add(new Family("spark.task.resource.", taskResource, "ResourceUtils"));
    // YARN's Client and ExecutorRunnable: AM environment and custom YARN resource types.
    families.add(new Family("spark.yarn.appMasterEnv.", any, "yarn Client"));
    families.add(new Family("spark.yarn.executor.resource.", any, "yarn ResourceRequestHelper"));
    families.add(new Family("spark.yarn.driver.resource.", any, "yarn ResourceRequestHelper"));
    families.add(new Family("spark.yarn.am.resource.", any, "yarn ResourceRequestHelper"));
    Object config = module(k8sConfig);
    for (Method method : config.getClass().getMethods()) {
      if (method.getParameterCount() == 0
          && method.getReturnType() == String.class
          && method.getName().endsWith("_PREFIX")) {
        String prefix = (String) invoke(method, config);
        if (prefix.startsWith("spark.") && prefix.endsWith(".")) {
          families.add(new Family(prefix, any, "k8s Config." + method.getName()));
        }
      }
    }
    return families;
  }

  /**
   * Top-level Scala objects ({@code Name$} without a nested {@code $}) of the config package, in
   * every jar that has the package (spark-core and spark-common-utils both do).
   */
  private static List<String> coreConfigObjects() {
    String packagePath = "org/apache/spark/internal/config/";
    TreeSet<String> names = new TreeSet<>();
    try {
      Enumeration<URL> roots = SparkConfigKeys.class.getClassLoader().getResources(packagePath);
      while (roots.hasMoreElements()) {
        URL root = roots.nextElement();
        if (!"jar".equals(root.getProtocol())) {
          continue;
        }
        JarURLConnection connection = (JarURLConnection) root.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
          jar.stream()
              .map(JarEntry::getName)
              .filter(name -> name.startsWith(packagePath) && name.endsWith("$.class"))
              .map(name -> name.substring(packagePath.length(), name.length() - 6))
              .filter(simple -> simple.indexOf('$') == simple.length() - 1)
              .filter(simple -> !simple.contains("/"))
              .forEach(simple -> names.add(packagePath.replace('/', '.') + simple));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!names.contains(CORE_CONFIG)) {
      throw new IllegalStateException("spark-core's " + CORE_CONFIG + " is not on the class path");
    }
    return List.copyOf(names);
  }

  private static void initialise(String className) {
    module(className);
  }

  private static Object module(String className) {
    try {
      Class<?> type = Class.forName(className, true, SparkConfigKeys.class.getClassLoader());
      return type.getField("MODULE$").get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot load Spark config object " + className, e);
    }
  }

  private static Object staticValue(Field field) {
    try {
      return field.get(null);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object invoke(Method method, Object target) {
    try {
      return method.invoke(target);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
