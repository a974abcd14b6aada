package ai.igspark.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;

/**
 * Kryo serializer for Java records. Spark ships Kryo 4.0.3, whose FieldSerializer cannot set a
 * record's final fields on JDK 17 (neither reflection nor Unsafe may write them), so records go
 * through their accessors and canonical constructor instead. Components are written with their
 * class, so a component's runtime type must itself be registered.
 */
public final class RecordSerializer<T extends Record> extends Serializer<T> {
  private final RecordComponent[] components;
  private final Constructor<T> canonical;

  public RecordSerializer(Class<T> type) {
    this.components = type.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
    }
    try {
      this.canonical = type.getDeclaredConstructor(types);
      this.canonical.setAccessible(true);
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(type.getName() + " has no canonical constructor", e);
    }
    setImmutable(true);
  }

  @Override
  public void write(Kryo kryo, Output output, T record) {
    for (RecordComponent component : components) {
      try {
        component.getAccessor().setAccessible(true);
        kryo.writeClassAndObject(output, component.getAccessor().invoke(record));
      } catch (IllegalAccessException | InvocationTargetException e) {
        throw new KryoException("cannot read " + component.getName() + " of " + record, e);
      }
    }
  }

  @Override
  public T read(Kryo kryo, Input input, Class<T> type) {
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      values[i] = kryo.readClassAndObject(input);
    }
    try {
      return canonical.newInstance(values);
    } catch (ReflectiveOperationException e) {
      throw new KryoException("cannot construct " + type.getName(), e);
    }
  }
}
