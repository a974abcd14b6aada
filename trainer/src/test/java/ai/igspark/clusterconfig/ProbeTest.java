package ai.igspark.clusterconfig;
import org.junit.jupiter.api.Test;
class ProbeTest {
  @Test void probe() {
    SparkConfigKeys k = SparkConfigKeys.load();
    System.out.println("OBJECTS " + k.loadedObjects());
    k.families().forEach(f -> System.out.println("FAMILY " + f));
    for (String key : new String[] {"spark.master","spark.app.name","spark.submit.deployMode","spark.serializer",
        "spark.kryo.registrationRequired","spark.kryo.registrator","spark.yarn.maxAppAttempts",
        "spark.yarn.am.attemptFailuresValidityInterval","spark.executor.maxNumFailures","spark.yarn.max.executor.failures",
        "spark.executor.failuresValidityInterval","spark.yarn.resourceGpuDeviceName","spark.yarn.queue",
        "spark.yarn.tags","spark.yarn.dist.files","spark.yarn.archive","spark.kerberos.access.hadoopFileSystems",
        "spark.kubernetes.executor.podTemplateFile","spark.kubernetes.container.image","spark.kubernetes.namespace",
        "spark.kubernetes.authenticate.driver.serviceAccountName","spark.kubernetes.executor.request.cores",
        "spark.kubernetes.driverEnv.X","spark.kubernetes.driver.label.app","spark.executor.memoryOverhead",
        "spark.scheduler.maxRegisteredResourcesWaitingTime","spark.scheduler.minRegisteredResourcesRatio",
        "spark.executor.resource.gpu.vendor","spark.worker.resource.gpu.amount","spark.task.cpus",
        "spark.ui.showConsoleProgress","spark.driver.host","spark.driver.bindAddress","spark.dynamicAllocation.enabled",
        "spark.kubernetes.executor.deleteOnTermination","spark.yarn.submit.waitAppCompletion","spark.bogus.key",
        "spark.kubernetes.executor.podTemplateContainerName","spark.yarn.am.extraJavaOptions","spark.kryoserializer.buffer.max",
        "spark.excludeOnFailure.enabled","spark.yarn.appMasterEnv.A","spark.kubernetes.container.image.pullPolicy"}) {
      System.out.println("KEY " + key + " -> " + k.explain(key));
    }
  }
}
