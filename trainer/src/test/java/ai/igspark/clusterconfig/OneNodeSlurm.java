package ai.igspark.clusterconfig;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real one-node Slurm (Debian's slurm-wlm 22.05: munged, slurmctld, slurmd) in a network
 * namespace of its own whose only interface is loopback: slurmctld and slurmd listen on every
 * address (0.0.0.0), so they are started where there is no address but loopback. Everything runs
 * as root from {@code dir}: the munge key and socket, slurm.conf, state, spool and logs. {@link
 * #close()} cancels the jobs, stops the daemons by PID, ends whatever the jobs left in the
 * namespace (all of it this class's) and deletes the namespace.
 *
 * <p>Commands enter the namespace with {@code nsenter --net=/run/netns/NAME}, not {@code ip netns
 * exec}: the latter also remounts /sys for the namespace, which hides /sys/fs/cgroup, and slurmd
 * 22.05 will not start without its cgroup plugin. Besides 127.0.0.1, loopback gets 127.0.0.2:
 * slurm resolves every address with AF_INET and AI_ADDRCONFIG, and glibc answers such a lookup
 * only on a host with an IPv4 address other than 127.0.0.1 (its __check_pf).
 */
final class OneNodeSlurm implements AutoCloseable {
  static final String NODE = "localhost";
  static final String PARTITION = "igspark";
  private static final int CTLD_PORT = 6817;
  private static final int SLURMD_PORT = 6818;
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final String PACKAGES = "slurmctld slurmd slurm-client munge";

  private final Path dir;
  private final String namespace;
  private final Path conf;
  private final Map<String, Process> daemons = new LinkedHashMap<>();
  private boolean namespaceCreated;
  private int cpus;
  private final Thread stopOnExit = new Thread(this::closeQuietly, "stop-one-node-slurm");

  private OneNodeSlurm(Path dir) {
    this.dir = dir;
    byte[] random = new byte[4];
    new SecureRandom().nextBytes(random);
    this.namespace = "igspark-slurm-" + HexFormat.of().formatHex(random);
    this.conf = dir.resolve("slurm.conf");
  }

  /** Creates the namespace and starts munged, slurmctld and slurmd; stops them again on failure. */
  static OneNodeSlurm start(Path dir) throws IOException, InterruptedException {
    OneNodeSlurm slurm = new OneNodeSlurm(dir);
    Runtime.getRuntime().addShutdownHook(slurm.stopOnExit);
    try {
      slurm.startAll();
      return slurm;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      slurm.close();
      throw e;
    }
  }

  /** The node's CPUs, as slurmd detected them (a job's SLURM_CPUS_ON_NODE with --exclusive). */
  int cpus() {
    return cpus;
  }

  /** The logs of the daemons: {@code dir/log/<daemon>.log}. */
  Path log(String daemon) {
    return dir.resolve("log").resolve(daemon + ".log");
  }

  private void startAll() throws IOException, InterruptedException {
    requireTools();
    Result add = run(List.of("ip", "netns", "add", namespace), Duration.ofSeconds(30));
    if (add.status != 0) {
      throw new IllegalStateException("cannot create the network namespace " + namespace
          + " (`ip netns add` needs root with CAP_SYS_ADMIN), so slurmctld and slurmd cannot be"
          + " kept off the network: " + add.output);
    }
    namespaceCreated = true;
    check(run(List.of("ip", "-n", namespace, "link", "set", "lo", "up"), Duration.ofSeconds(30)));
    check(run(List.of("ip", "-n", namespace, "addr", "add", "127.0.0.2/8", "dev", "lo"),
        Duration.ofSeconds(30)));

    for (String sub : List.of("log", "state", "spool")) {
      Files.createDirectories(dir.resolve(sub));
    }
    // munged refuses a socket whose directories are not searchable by everyone: dir is made so,
    // its parents must be already (a test's @TempDir is not: the test opens it).
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (Path d = dir.getParent(); d != null; d = d.getParent()) {
      if (!Files.getPosixFilePermissions(d).contains(PosixFilePermission.OTHERS_EXECUTE)) {
        throw new IllegalStateException(d + " is not searchable by others (o+x), which munged"
            + " requires of every directory above its socket " + dir.resolve("munge.socket"));
      }
    }
    Path key = dir.resolve("munge.key");
    byte[] secret = new byte[1024];
    new SecureRandom().nextBytes(secret);
    Files.write(key, secret);
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Path socket = dir.resolve("munge.socket");
    startDaemon("munged", List.of("/usr/sbin/munged", "--foreground", "--key-file=" + key,
        "--socket=" + socket, "--pid-file=" + dir.resolve("munged.pid"),
        "--seed-file=" + dir.resolve("munged.seed")));
    await("munged's socket", () -> Files.exists(socket), "munged");

    String hardware = nodeHardware();
    Matcher cpuCount = Pattern.compile("\\bCPUs=(\\d+)").matcher(hardware);
    if (!cpuCount.find()) {
      throw new IllegalStateException("slurmd -C: no CPUs= in " + hardware);
    }
    cpus = Integer.parseInt(cpuCount.group(1));
    Files.writeString(conf, slurmConf(socket, hardware));
    startDaemon("slurmctld", List.of("/usr/sbin/slurmctld", "-D", "-f", conf.toString()));
    startDaemon("slurmd", List.of("/usr/sbin/slurmd", "-D", "-N", NODE, "-f", conf.toString()));
    await("node " + NODE + " idle", () -> {
      Result state = inNamespace(List.of("sinfo", "-h", "-n", NODE, "-o", "%T"), Map.of(), dir,
          Duration.ofSeconds(20));
      return state.status == 0 && state.output.strip().equals("idle");
    }, "slurmctld");
  }

  /** The node's CPUs, sockets, cores, threads and memory as slurmd itself detects them. */
  private String nodeHardware() throws IOException, InterruptedException {
    Result probe = run(List.of("/usr/sbin/slurmd", "-C"), Duration.ofSeconds(30));
    check(probe);
    Matcher m = Pattern.compile("(?m)^NodeName=\\S+ (.*RealMemory=\\d+)").matcher(probe.output);
    if (!m.find()) {
      throw new IllegalStateException("slurmd -C printed no node line: " + probe.output);
    }
    return m.group(1);
  }

  private String slurmConf(Path mungeSocket, String hardware) {
    return """
        # Written by OneNodeSlurm: one node on loopback, root, no accounting, no cgroups; the
        # daemons run in the foreground (-D) and log to their stderr.
        ClusterName=igspark-test
        SlurmctldHost=%1$s(127.0.0.1)
        SlurmctldPort=%2$d
        SlurmdPort=%3$d
        SlurmUser=root
        SlurmdUser=root
        AuthType=auth/munge
        CredType=cred/munge
        AuthInfo=socket=%4$s
        StateSaveLocation=%5$s
        SlurmdSpoolDir=%6$s
        SlurmctldPidFile=%7$s
        SlurmdPidFile=%8$s
        ProctrackType=proctrack/linuxproc
        TaskPlugin=task/none
        SwitchType=switch/none
        MpiDefault=none
        SchedulerType=sched/builtin
        SelectType=select/cons_tres
        SelectTypeParameters=CR_Core_Memory
        AccountingStorageType=accounting_storage/none
        JobAcctGatherType=jobacct_gather/none
        JobCompType=jobcomp/none
        ReturnToService=2
        NodeName=%1$s NodeAddr=127.0.0.1 %9$s State=UNKNOWN
        PartitionName=%10$s Nodes=%1$s Default=YES MaxTime=INFINITE State=UP
        """.formatted(NODE, CTLD_PORT, SLURMD_PORT, mungeSocket, dir.resolve("state"),
        dir.resolve("spool"), dir.resolve("slurmctld.pid"), dir.resolve("slurmd.pid"), hardware,
        PARTITION);
  }

  private static void requireTools() throws IOException, InterruptedException {
    List<String> missing = new ArrayList<>();
    for (String tool : List.of("/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd",
        "/usr/bin/sbatch", "/usr/bin/sinfo", "/usr/bin/squeue", "/usr/bin/scancel", "/usr/bin/scontrol",
        "/usr/bin/srun", "/usr/bin/nsenter", "/usr/sbin/ip")) {
      if (!Files.isExecutable(Path.of(tool))) {
        missing.add(tool);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException("missing " + missing + ": install the Debian packages "
          + PACKAGES + " (bin/lib/install-test-packages.sh does, as root; bin/run-tests runs it)");
    }
    Result uid = run(List.of("id", "-u"), Duration.ofSeconds(10));
    if (!uid.output.strip().equals("0")) {
      throw new IllegalStateException("the one-node Slurm runs its daemons as root and in a"
          + " network namespace of its own; this test runs as uid " + uid.output.strip());
    }
  }

  private void startDaemon(String name, List<String> command) throws IOException {
    Process p = processInNamespace(command, Map.of(), dir)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log(name).toFile()))
        .start();
    daemons.put(name, p);
  }

  private interface Condition {
    boolean holds() throws IOException, InterruptedException;
  }

  private void await(String what, Condition condition, String daemon)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!condition.holds()) {
      for (Map.Entry<String, Process> d : daemons.entrySet()) {
        if (!d.getValue().isAlive()) {
          throw new IllegalStateException(d.getKey() + " exited (" + d.getValue().exitValue()
              + ") while waiting for " + what + ":\n" + tail(log(d.getKey())));
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no " + what + " after " + START_TIMEOUT.toSeconds()
            + " s:\n" + tail(log(daemon)));
      }
      Thread.sleep(250);
    }
  }

  /** {@code command} inside the namespace with SLURM_CONF set (and {@code env} on top). */
  ProcessBuilder processInNamespace(List<String> command, Map<String, String> env, Path workDir) {
    List<String> full = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + namespace));
    full.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(full).directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("SLURM_CONF", conf.toString());
    pb.environment().putAll(env);
    return pb;
  }

  Result inNamespace(List<String> command, Map<String, String> env, Path workDir,
      Duration timeout) throws IOException, InterruptedException {
    return finish(processInNamespace(command, env, workDir).start(), command, timeout);
  }

  /** {@code sbatch --parsable ARGS} from {@code workDir}: the job id. */
  String sbatch(Path workDir, Map<String, String> env, List<String> args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("sbatch", "--parsable"));
    command.addAll(args);
    Result r = inNamespace(command, env, workDir, Duration.ofSeconds(60));
    if (r.status != 0 || !r.output.strip().matches("\\d+")) {
      throw new IllegalStateException("sbatch " + args + " failed (" + r.status + "): " + r.output);
    }
    return r.output.strip();
  }

  void scancel(String job) throws IOException, InterruptedException {
    check(inNamespace(List.of("scancel", job), Map.of(), dir, Duration.ofSeconds(60)));
  }

  /** The job's state as squeue shows it while it is queued or running, else empty. */
  String queueState(String job) throws IOException, InterruptedException {
    return inNamespace(List.of("squeue", "-h", "-j", job, "-o", "%T"), Map.of(), dir,
        Duration.ofSeconds(30)).output.strip();
  }

  /** How a job ended: slurmctld's JobState and ExitCode (status:signal). */
  record JobEnd(String state, String exitCode) {}

  /** Waits until the job has left the queue, then reads how it ended from slurmctld. */
  JobEnd awaitEnd(String job, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!queueState(job).isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("job " + job + " still " + queueState(job) + " after "
            + timeout.toSeconds() + " s");
      }
      Thread.sleep(500);
    }
    Result show = inNamespace(List.of("scontrol", "-o", "show", "job", job), Map.of(), dir,
        Duration.ofSeconds(30));
    check(show);
    Matcher state = Pattern.compile("JobState=(\\S+)").matcher(show.output);
    Matcher exit = Pattern.compile("ExitCode=(\\S+)").matcher(show.output);
    if (!state.find() || !exit.find()) {
      throw new IllegalStateException("scontrol show job " + job + ": " + show.output);
    }
    return new JobEnd(state.group(1), exit.group(1));
  }

  /** Every process in the namespace other than the daemons and their own children. */
  Set<Long> strayProcesses() throws IOException, InterruptedException {
    Set<Long> ours = new TreeSet<>();
    for (Map.Entry<String, Process> d : daemons.entrySet()) {
      ours.add(d.getValue().pid());
      if (d.getKey().equals("slurmctld")) {
        d.getValue().descendants().forEach(c -> ours.add(c.pid())); // slurmscriptd
      }
    }
    Set<Long> stray = new TreeSet<>(namespacePids());
    stray.removeAll(ours);
    return stray;
  }

  private Set<Long> namespacePids() throws IOException, InterruptedException {
    Result pids = run(List.of("ip", "netns", "pids", namespace), Duration.ofSeconds(30));
    Set<Long> out = new TreeSet<>();
    for (String line : pids.output.split("\\s+")) {
      if (line.matches("\\d+")) {
        out.add(Long.parseLong(line));
      }
    }
    return out;
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    } catch (IllegalStateException shuttingDown) {
      // called from the hook itself
    }
    closeQuietly();
  }

  private synchronized void closeQuietly() {
    try {
      if (daemons.containsKey("slurmd") && daemons.get("slurmd").isAlive()) {
        cancelJobs();
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      System.err.println("OneNodeSlurm: could not cancel the jobs: " + e);
    }
    List<String> names = new ArrayList<>(daemons.keySet());
    for (int i = names.size() - 1; i >= 0; i--) { // slurmd, slurmctld, then munged
      stop(names.get(i), daemons.get(names.get(i)));
    }
    daemons.clear();
    if (namespaceCreated) {
      try {
        // What the jobs left behind (a process that escaped slurmd's tracking): every process
        // in this namespace was started here, so each is ended by its PID.
        for (long pid : namespacePids()) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        Result del = run(List.of("ip", "netns", "delete", namespace), Duration.ofSeconds(30));
        if (del.status != 0) {
          System.err.println("OneNodeSlurm: ip netns delete " + namespace + ": " + del.output);
        }
        namespaceCreated = false;
      } catch (IOException | InterruptedException e) {
        System.err.println("OneNodeSlurm: could not delete " + namespace + ": " + e);
      }
    }
  }

  private void cancelJobs() throws IOException, InterruptedException {
    Result queue = inNamespace(List.of("squeue", "-h", "-o", "%i"), Map.of(), dir,
        Duration.ofSeconds(30));
    for (String job : queue.output.split("\\s+")) {
      if (job.matches("\\d+")) {
        scancel(job);
        awaitEnd(job, Duration.ofSeconds(90));
      }
    }
  }

  private static void stop(String name, Process p) {
    if (p == null) {
      return;
    }
    p.destroy(); // SIGTERM, to this PID only
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        System.err.println("OneNodeSlurm: " + name + " (" + p.pid() + ") ignored TERM; killing");
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** What a command printed (stdout and stderr) and its exit status. */
  record Result(int status, String output) {}

  private static Result run(List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    return finish(p, command, timeout);
  }

  private static Result finish(Process p, List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getInputStream().readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(command + " did not end in " + timeout.toSeconds() + " s");
    }
    try {
      return new Result(p.exitValue(), new String(out.get(30, TimeUnit.SECONDS),
          StandardCharsets.UTF_8));
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("reading the output of " + command, e);
    }
  }

  private static void check(Result r) {
    if (r.status != 0) {
      throw new IllegalStateException("exit " + r.status + ": " + r.output);
    }
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no " + log + ": " + e + ")";
    }
  }
}
