package ai.igspark.eval;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Pure-Java kernels (EJML): symmetric QR eigen-decomposition, SVD and multi-threaded products.
 * Accurate but about 15× slower than OpenBLAS at d = 2048 (docs/benchmarks/metrics.md).
 */
public final class EjmlLinearAlgebra implements LinearAlgebra {

  @Override
  public String name() {
    return "ejml";
  }

  @Override
  public void addGram(double[] a, int rows, int cols, double[] c) {
    CommonOps_MT_DDRM.multAddTransA(
        DMatrixRMaj.wrap(rows, cols, a), DMatrixRMaj.wrap(rows, cols, a),
        DMatrixRMaj.wrap(cols, cols, c));
  }

  @Override
  public double[] multiplyTransA(double[] a, double[] b, int k, int m, int n) {
    DMatrixRMaj out = new DMatrixRMaj(m, n);
    CommonOps_MT_DDRM.multTransA(DMatrixRMaj.wrap(k, m, a), DMatrixRMaj.wrap(k, n, b), out);
    return out.data;
  }

  @Override
  public double[] multiplyTransB(double[] a, double[] b, int m, int n, int k) {
    DMatrixRMaj out = new DMatrixRMaj(m, n);
    CommonOps_MT_DDRM.multTransB(DMatrixRMaj.wrap(m, k, a), DMatrixRMaj.wrap(n, k, b), out);
    return out.data;
  }

  @Override
  public SymmetricEigen symmetricEigen(double[] symmetric, int d, boolean vectors) {
    // The size hint picks the blocked tridiagonalisation for large d: pass the real size.
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, vectors, true);
    if (!eig.decompose(DMatrixRMaj.wrap(d, d, symmetric.clone()))) {
      throw new ArithmeticException("EJML symmetric eigen-decomposition failed to converge");
    }
    double[] values = new double[d];
    for (int i = 0; i < d; i++) {
      values[i] = eig.getEigenvalue(i).real;
    }
    // EJML returns eigenpairs unsorted; sort ascending as LAPACK does.
    Integer[] order = IntStream.range(0, d).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble(i -> values[i]));
    double[] sorted = new double[d];
    double[] vecs = vectors ? new double[d * d] : null;
    for (int c = 0; c < d; c++) {
      sorted[c] = values[order[c]];
      if (vectors) {
        DMatrixRMaj v = eig.getEigenVector(order[c]);
        for (int r = 0; r < d; r++) {
          vecs[r * d + c] = v.data[r];
        }
      }
    }
    return new SymmetricEigen(sorted, vecs);
  }

  @Override
  public double[] singularValues(double[] a, int m, int n) {
    if (Math.min(m, n) == 0) {
      return new double[0];
    }
    SingularValueDecomposition_F64<DMatrixRMaj> svd =
        DecompositionFactory_DDRM.svd(m, n, false, false, true);
    if (!svd.decompose(DMatrixRMaj.wrap(m, n, a.clone()))) {
      throw new ArithmeticException("EJML SVD failed to converge");
    }
    return Arrays.copyOf(svd.getSingularValues(), Math.min(m, n));
  }
}
