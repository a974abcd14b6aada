package ai.igspark.testsupport;

import java.io.File;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An in-process HDFS (one NameNode, one DataNode) for tests: base directory under target/, every
 * address 127.0.0.1 with an ephemeral port, client retries shortened so that a stopped DataNode
 * surfaces as an IOException within a second or two instead of after minutes.
 *
 * <p>Per class: {@code @RegisterExtension static final MiniHdfs hdfs = MiniHdfs.named("ckpt");}
 * starts it before the class's own {@code @BeforeAll} methods and shuts it down after the class.
 * Within one test: {@code try (MiniHdfs hdfs = MiniHdfs.named("x").start()) {...}}.
 */
public final class MiniHdfs implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
  private static final String[] ADDRESS_KEYS = {
    "dfs.namenode.rpc-address", "dfs.namenode.http-address", "dfs.namenode.https-address",
    "dfs.namenode.servicerpc-address", "dfs.namenode.lifeline.rpc-address",
    "dfs.datanode.address", "dfs.datanode.http.address", "dfs.datanode.https.address",
    "dfs.datanode.ipc.address"
  };

  private final String name;
  private final boolean failFast;
  private MiniDFSCluster cluster;

  private MiniHdfs(String name, boolean failFast) {
    this.name = name;
    this.failFast = failFast;
  }

  /** Not started yet; {@code name} names its directory under target/minidfs. */
  public static MiniHdfs named(String name) {
    return new MiniHdfs(name, true);
  }

  /**
   * The same with HDFS's own client timeouts: a client stream idle for longer than the short
   * socket timeout (a run waiting seconds for a replacement executor) stays open.
   */
  public MiniHdfs withHdfsTimeouts() {
    return new MiniHdfs(name, false);
  }

  /** Starts the cluster and waits until it is up; returns this. */
  public MiniHdfs start() throws IOException {
    File base = new File("target/minidfs/" + name + "-" + ProcessHandle.current().pid());
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getAbsolutePath());
    for (String key : ADDRESS_KEYS) {
      conf.set(key, "127.0.0.1:0");
    }
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.namenode.http-bind-host", "127.0.0.1");
    conf.setInt("dfs.replication", 1);
    conf.setInt("dfs.heartbeat.interval", 1);
    if (failFast) {
      shortenRetries(conf);
    }
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    return this;
  }

  private static void shortenRetries(Configuration conf) {
    // Reads of a block whose only replica is down: give up fast (default waits 3 s × attempt).
    conf.setInt("dfs.client.retry.window.base", 50);
    conf.setInt("dfs.client.max.block.acquire.failures", 1);
    conf.setInt("dfs.client.block.write.locateFollowingBlock.retries", 2);
    conf.setInt("dfs.client.block.write.retries", 1);
    conf.setInt("ipc.client.connect.max.retries", 1);
    conf.setInt("ipc.client.connect.retry.interval", 100);
    conf.setInt("dfs.client.socket-timeout", 5000);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  /** The running cluster (NameNode and DataNode restarts). */
  public MiniDFSCluster cluster() {
    if (cluster == null) {
      throw new IllegalStateException("MiniHdfs " + name + " is not running");
    }
    return cluster;
  }

  /** The client configuration (with fs.defaultFS pointing at this cluster). */
  public Configuration conf() {
    return cluster().getConfiguration(0);
  }

  /** {@code hdfs://127.0.0.1:port} + {@code path}. */
  public String uri(String path) {
    return cluster().getURI().toString() + path;
  }

  /** The cluster's shared client file system. */
  public FileSystem fileSystem() throws IOException {
    return cluster().getFileSystem();
  }

  /** Stops the one DataNode; {@link #restartDataNode} brings it back. */
  public MiniDFSCluster.DataNodeProperties stopDataNode() {
    return cluster().stopDataNode(0);
  }

  /** Restarts a stopped DataNode on its old ports and waits until the cluster is up. */
  public void restartDataNode(MiniDFSCluster.DataNodeProperties dn) throws IOException {
    cluster().restartDataNode(dn, true);
    cluster().waitActive();
  }

  @Override
  public void close() {
    if (cluster != null) {
      cluster.shutdown();
      cluster = null;
    }
  }
}
