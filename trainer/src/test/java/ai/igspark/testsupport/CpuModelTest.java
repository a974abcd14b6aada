package ai.igspark.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class CpuModelTest {

  @Test
  void signatureNamesVendorFamilyModelAndTheWidestVectorExtension() {
    List<String> cpuinfo = List.of(
        "processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 25", "model\t\t: 17",
        "model name\t: AMD EPYC 9354", "flags\t\t: fpu sse2 avx avx2 avx512f avx512bw", "",
        "processor\t: 1", "vendor_id\t: GenuineIntel", "cpu family\t: 6", "model\t\t: 85");
    assertEquals("AuthenticAMD family 25 model 17 avx512f", CpuModel.signature(cpuinfo));
  }

  @Test
  void signatureWithoutAvx512SaysAvx2() {
    List<String> cpuinfo = List.of("vendor_id\t: AuthenticAMD", "cpu family\t: 25",
        "model\t\t: 1", "flags\t\t: fpu sse2 avx avx2 avx_vnni");
    assertEquals("AuthenticAMD family 25 model 1 avx2", CpuModel.signature(cpuinfo));
  }
}
