package ai.igspark.ckpt;

import java.io.File;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * An in-process HDFS (one NameNode, one DataNode) for tests: base directory under target/, every
 * address 127.0.0.1 with an ephemeral port, client retries shortened so that a stopped DataNode
 * surfaces as an IOException within a second or two instead of after minutes.
 */
public final class MiniHdfs implements AutoCloseable {
  public final MiniDFSCluster cluster;

  public MiniHdfs(String name) throws IOException {
    this(name, true);
  }

  /**
   * {@code failFast = false} keeps HDFS's own timeouts: a client stream idle for longer than the
   * short socket timeout (a run waiting seconds for a replacement executor) stays open.
   */
  public MiniHdfs(String name, boolean failFast) throws IOException {
    File base = new File("target/minidfs/" + name + "-" + ProcessHandle.current().pid());
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.getAbsolutePath());
    for (String key :
        new String[] {
          "dfs.namenode.rpc-address", "dfs.namenode.http-address", "dfs.namenode.https-address",
          "dfs.namenode.servicerpc-address", "dfs.namenode.lifeline.rpc-address",
          "dfs.datanode.address", "dfs.datanode.http.address", "dfs.datanode.https.address",
          "dfs.datanode.ipc.address"
        }) {
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

  /** The client configuration (with fs.defaultFS pointing at this cluster). */
  public Configuration conf() {
    return cluster.getConfiguration(0);
  }

  /** {@code hdfs://127.0.0.1:port} + {@code path}. */
  public String uri(String path) {
    return cluster.getURI().toString() + path;
  }

  MiniDFSCluster.DataNodeProperties stopDataNode() {
    return cluster.stopDataNode(0);
  }

  void restart(MiniDFSCluster.DataNodeProperties dn) throws IOException {
    cluster.restartDataNode(dn, true);
    cluster.waitActive();
  }

  @Override
  public void close() {
    cluster.shutdown();
  }
}
