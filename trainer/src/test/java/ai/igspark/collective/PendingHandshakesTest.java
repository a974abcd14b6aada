package ai.igspark.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which pending ring connection makes room for a newcomer, and which are cut. */
class PendingHandshakesTest {
  private static final long MS = 1_000_000L;
  private static final Duration DEADLINE = Duration.ofMillis(2000);
  private static final Duration GRACE = Duration.ofMillis(250);

  /** A connection as the rules see it; times in ms. */
  private record Conn(String name, long acceptedAt, boolean challenged, long challengedAt,
      boolean heardFrom) implements PendingHandshakes.Handshaking {
    static Conn silent(String name, long atMs) {
      return new Conn(name, atMs * MS, true, atMs * MS, false);
    }

    static Conn answering(String name, long atMs) {
      return new Conn(name, atMs * MS, true, atMs * MS, true);
    }

    static Conn unchallenged(String name, long atMs) {
      return new Conn(name, atMs * MS, false, 0, false);
    }
  }

  private static PendingHandshakes<Conn> table(Conn... conns) {
    PendingHandshakes<Conn> t = new PendingHandshakes<>(conns.length, DEADLINE, GRACE);
    for (Conn c : conns) {
      t.add(c);
    }
    return t;
  }

  @Test
  void theOldestSilentConnectionPastItsGraceIsEvicted() {
    Conn first = Conn.silent("first", 0);
    Conn second = Conn.silent("second", 10);
    PendingHandshakes<Conn> t = table(first, second);
    assertTrue(t.isFull());
    assertSame(first, t.evictable(300 * MS));
  }

  @Test
  void aConnectionThatHasBegunItsAnswerIsNeverEvictedBySilentOnes() {
    Conn neighbour = Conn.answering("neighbour", 0);
    Conn silent = Conn.silent("silent", 100);
    PendingHandshakes<Conn> t = table(neighbour, silent);
    assertSame(silent, t.evictable(1000 * MS), "the older, answering one is skipped");
    PendingHandshakes<Conn> slowloris =
        table(Conn.answering("a", 0), Conn.answering("b", 0), Conn.answering("c", 0));
    assertNull(slowloris.evictable(1900 * MS), "connections that have sent bytes stay");
  }

  @Test
  void aSilentConnectionKeepsItsSlotDuringItsGrace() {
    PendingHandshakes<Conn> t = table(Conn.silent("fresh", 100));
    assertNull(t.evictable(349 * MS));
    assertEquals(1 * MS, t.untilEvictable(349 * MS));
    assertEquals("fresh", t.evictable(350 * MS).name());
  }

  @Test
  void aConnectionNotYetChallengedCannotBeEvicted() {
    PendingHandshakes<Conn> t = table(Conn.unchallenged("accepted", 0));
    assertNull(t.evictable(1500 * MS));
    assertEquals(Long.MAX_VALUE, t.untilEvictable(1500 * MS));
  }

  @Test
  void everyConnectionPastTheHandshakeDeadlineIsCutWhateverItHasSent() {
    Conn silent = Conn.silent("silent", 0);
    Conn slowloris = Conn.answering("slowloris", 100);
    Conn young = Conn.answering("young", 1000);
    PendingHandshakes<Conn> t = table(silent, slowloris, young);
    assertEquals(1900 * MS, t.untilNextDeadline(100 * MS));
    assertEquals(List.of(silent, slowloris), t.expired(2100 * MS));
    assertEquals(1, t.size());
    assertEquals(List.of(young), t.expired(3000 * MS));
  }

  @Test
  void aFullTableTakesNoMoreWithoutAnEviction() {
    PendingHandshakes<Conn> t = table(Conn.silent("a", 0));
    assertThrows(IllegalStateException.class, () -> t.add(Conn.silent("b", 1)));
  }
}
