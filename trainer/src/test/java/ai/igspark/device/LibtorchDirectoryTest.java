package ai.igspark.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.igspark.data.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executors' check of PYTORCH_LIBRARY_PATH (the same rules as bin/lib/gpu.sh). */
class LibtorchDirectoryTest {
  @TempDir Path tmp;

  private Path libtorch(String name, String buildVersion, boolean cuda) throws IOException {
    Path lib = Files.createDirectories(tmp.resolve(name).resolve("libtorch/lib"));
    for (String f : List.of("libtorch.so", "libc10.so", "0.36.0-libdjl_torch.so")) {
      Files.createFile(lib.resolve(f));
    }
    if (cuda) {
      Files.createFile(lib.resolve("libtorch_cuda.so"));
    }
    if (buildVersion != null) {
      Files.writeString(lib.resolveSibling("build-version"), buildVersion + "\n");
    }
    return lib;
  }

  private static InvalidInputException refused(Map<String, String> env) {
    return assertThrows(InvalidInputException.class, () -> LibtorchDirectory.check(env::get));
  }

  private static Map<String, String> cuda(Path lib) {
    Map<String, String> env = new HashMap<>();
    env.put("PYTORCH_LIBRARY_PATH", lib.toString());
    env.put("PYTORCH_FLAVOR", "cu128");
    env.put("PYTORCH_VERSION", "2.7.1");
    return env;
  }

  @Test
  void unsetMeansDjlsOwnLibtorch() {
    assertTrue(LibtorchDirectory.check(name -> null).isEmpty());
  }

  @Test
  void aCuda128LibtorchZipIsAccepted() throws Exception {
    Path lib = libtorch("good", "2.7.1+cu128", true);

    LibtorchDirectory.Found found = LibtorchDirectory.check(cuda(lib)::get).orElseThrow();

    assertEquals(lib, found.dir());
    assertEquals("2.7.1+cu128", found.version());
    assertTrue(found.versionSource().endsWith("build-version"), found.versionSource());
    assertTrue(found.cuda());
  }

  @Test
  void theFirstEntryOfAPathListWithLibtorchIsChecked() throws Exception {
    Path lib = libtorch("good", "2.7.1+cu128", true);
    Map<String, String> env = cuda(lib);
    env.put("PYTORCH_LIBRARY_PATH", tmp.resolve("absent") + ":" + lib);

    assertEquals(lib, LibtorchDirectory.check(env::get).orElseThrow().dir());
  }

  @Test
  void eachBrokenRuleNamesTheSettingAndItsValue() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    var noLib = refused(cuda(empty));
    assertTrue(noLib.getMessage().startsWith("PYTORCH_LIBRARY_PATH=" + empty + ": no libtorch.so"),
        noLib.getMessage());

    Path old = libtorch("old", "2.5.1+cu124", true);
    var version = refused(cuda(old));
    assertTrue(version.getMessage().contains("holds libtorch 2.5.1+cu124"), version.getMessage());
    assertTrue(version.getMessage().contains("DJL 0.36 needs 2.7.1"), version.getMessage());

    var cpuOnly = refused(cuda(libtorch("cpu", "2.7.1+cpu", false)));
    assertTrue(cpuOnly.getMessage().contains("holds a CPU-only libtorch (2.7.1+cpu"),
        cpuOnly.getMessage());
    assertTrue(cpuOnly.getMessage().contains("PYTORCH_FLAVOR=cu128"), cpuOnly.getMessage());

    var unversioned = refused(cuda(libtorch("unversioned", null, true)));
    assertTrue(unversioned.getMessage().contains("cannot tell its libtorch version"),
        unversioned.getMessage());

    Map<String, String> wrongVersion = cuda(libtorch("good", "2.7.1+cu128", true));
    wrongVersion.put("PYTORCH_VERSION", "2.5.1");
    assertTrue(refused(wrongVersion).getMessage().startsWith("PYTORCH_VERSION=2.5.1"));
  }

  @Test
  void aCudaFlavorNeedsDjlsJniLibraryInTheDirectory() throws Exception {
    Path lib = libtorch("nojni", "2.7.1+cu128", true);
    Files.delete(lib.resolve("0.36.0-libdjl_torch.so"));

    var e = refused(cuda(lib));

    assertTrue(e.getMessage().contains("lacks libdjl_torch.so"), e.getMessage());
    assertTrue(e.getMessage().contains("jnilib/linux-x86_64/cu128/libdjl_torch.so"),
        e.getMessage());
  }

  @Test
  void aCpuLibtorchUnderACpuFlavorIsLeftToDjl() throws Exception {
    Path cache = Files.createDirectories(tmp.resolve("2.7.1-20250812-cpu-linux-x86_64"));
    Files.createFile(cache.resolve("libtorch.so"));
    Files.createFile(cache.resolve("libc10.so"));

    LibtorchDirectory.Found found =
        LibtorchDirectory.check(Map.of("PYTORCH_LIBRARY_PATH", cache.toString())::get)
            .orElseThrow();

    assertEquals("2.7.1+cpu", found.version());
    assertEquals("the directory name", found.versionSource());
    assertFalse(found.cuda());
  }

  @Test
  void aPipWheelReadsVersionPy() throws Exception {
    Path lib = Files.createDirectories(tmp.resolve("torch/lib"));
    for (String f : List.of("libtorch.so", "libc10.so", "libtorch_cuda.so", "libdjl_torch.so")) {
      Files.createFile(lib.resolve(f));
    }
    Files.writeString(lib.resolveSibling("version.py"), "__version__ = '2.7.1+cu128'\n");

    assertEquals("2.7.1+cu128", LibtorchDirectory.check(cuda(lib)::get).orElseThrow().version());
  }
}
