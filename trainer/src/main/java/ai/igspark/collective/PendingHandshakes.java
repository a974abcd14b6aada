package ai.igspark.collective;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The incoming connections a listener holds while they authenticate, and the rules that keep
 * hostile local clients from displacing the real neighbour (docs/RELIABILITY.md, "Hostile local
 * connections on the ring"):
 *
 * <ul>
 *   <li>every connection gets {@link #HANDSHAKE_DEADLINE} from its admission to authenticate,
 *       then it is cut, whatever it has sent: silent and slowloris clients hold a slot for at
 *       most that long;
 *   <li>when the table is full, the next connection takes the slot of the oldest <em>silent</em>
 *       one, one that has had the challenge for {@link #SILENT_GRACE} and sent nothing; a
 *       connection that has begun its answer is never evicted.
 * </ul>
 *
 * The grace is what lets the neighbour answer: without it, a burst of newcomers could evict it
 * in the round trip between its challenge and its answer. Connections that find no slot wait in
 * accept order ({@link RingConnector}), so the neighbour's turn comes after at most {@link
 * RingConnector#WAITING_CAPACITY} / {@link #CAPACITY} graces, however fast silent clients
 * reconnect. Times are {@link System#nanoTime()}.
 */
final class PendingHandshakes<T extends PendingHandshakes.Handshaking> implements Iterable<T> {

  /** What the rules need to know of one connection. */
  interface Handshaking {
    long acceptedAt();

    /** Whether the challenge has been sent in full (the peer could have answered). */
    boolean challenged();

    long challengedAt();

    /** Whether the peer has sent any byte of a handshake (a wrong byte is refused at once). */
    boolean heardFrom();
  }

  /** Connections held while they authenticate, per listener. */
  static final int CAPACITY = 64;

  /**
   * How long an admitted connection may take to authenticate. A peer answers in one round trip
   * and two HMACs, milliseconds even on a loaded host, so 2 s is generous on any network a ring
   * runs on, and cuts idle clients long before the connect deadline. A constant rather than a
   * {@link RingOptions} field: it bounds hostile clients, not anything the workload changes.
   */
  static final Duration HANDSHAKE_DEADLINE = Duration.ofSeconds(2);

  /**
   * How long a silent connection with its challenge keeps its slot against waiting ones: the
   * neighbour answers within a round trip, but a peer evicted after its challenge fails, so this
   * leaves room for a descheduled thread or a GC pause; 64 slots per grace still drain 256
   * waiting connections in 2 s.
   */
  static final Duration SILENT_GRACE = Duration.ofMillis(500);

  private final int capacity;
  private final long deadlineNanos;
  private final long graceNanos;
  /** In accept order. */
  private final List<T> entries = new ArrayList<>();

  PendingHandshakes() {
    this(CAPACITY, HANDSHAKE_DEADLINE, SILENT_GRACE);
  }

  PendingHandshakes(int capacity, Duration deadline, Duration grace) {
    this.capacity = capacity;
    this.deadlineNanos = deadline.toNanos();
    this.graceNanos = grace.toNanos();
  }

  boolean isFull() {
    return entries.size() >= capacity;
  }

  int size() {
    return entries.size();
  }

  /** Adds a newly admitted connection (there must be room: see {@link #evictable}). */
  void add(T entry) {
    if (isFull()) {
      throw new IllegalStateException("pending table full (" + capacity + ")");
    }
    entries.add(entry);
  }

  void remove(T entry) {
    entries.remove(entry);
  }

  /** Removes and returns every connection. */
  List<T> clear() {
    List<T> all = new ArrayList<>(entries);
    entries.clear();
    return all;
  }

  /**
   * The connection a newcomer may evict at {@code now}: the oldest one that has had its challenge
   * for the grace period and sent nothing; null if there is none.
   */
  T evictable(long now) {
    for (T e : entries) {
      if (!e.heardFrom() && e.challenged() && now - e.challengedAt() >= graceNanos) {
        return e;
      }
    }
    return null;
  }

  /** Removes and returns the connections whose handshake deadline has passed at {@code now}. */
  List<T> expired(long now) {
    List<T> out = new ArrayList<>();
    for (Iterator<T> it = entries.iterator(); it.hasNext(); ) {
      T e = it.next();
      if (now - e.acceptedAt() >= deadlineNanos) {
        it.remove();
        out.add(e);
      }
    }
    return out;
  }

  /** Nanoseconds from {@code now} until the next handshake deadline; Long.MAX_VALUE if none. */
  long untilNextDeadline(long now) {
    long wait = Long.MAX_VALUE;
    for (T e : entries) {
      wait = Math.min(wait, Math.max(0, e.acceptedAt() + deadlineNanos - now));
    }
    return wait;
  }

  /**
   * Nanoseconds from {@code now} until a connection can be evicted (0 if one can now);
   * Long.MAX_VALUE if none will unless it is challenged first.
   */
  long untilEvictable(long now) {
    long wait = Long.MAX_VALUE;
    for (T e : entries) {
      if (!e.heardFrom() && e.challenged()) {
        wait = Math.min(wait, Math.max(0, e.challengedAt() + graceNanos - now));
      }
    }
    return wait;
  }

  @Override
  public Iterator<T> iterator() {
    return entries.iterator();
  }
}
