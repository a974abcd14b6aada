package ai.igspark.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class BarrierRendezvousTest {

  @Test
  void gatheredAddressesComeBackOrderedByRank() {
    String[] gathered = {
      BarrierRendezvous.encode("127.0.0.1", 4000, "run-1-ab-a0"),
      BarrierRendezvous.encode("127.0.0.1", 4001, "run-1-ab-a0")
    };

    List<InetSocketAddress> peers = BarrierRendezvous.decode(gathered, "run-1-ab-a0");

    assertEquals(List.of(new InetSocketAddress("127.0.0.1", 4000),
        new InetSocketAddress("127.0.0.1", 4001)), peers);
  }

  @Test
  void ipv6HostsParseFromTheRight() {
    List<InetSocketAddress> peers =
        BarrierRendezvous.decode(new String[] {"::1:4000:n"}, "n");

    assertEquals(4000, peers.get(0).getPort());
    assertEquals("0:0:0:0:0:0:0:1", peers.get(0).getAddress().getHostAddress());
  }

  @Test
  void aRankFromAnotherAttemptIsRefusedNamingIt() {
    String[] gathered = {"127.0.0.1:4000:seg-a1", "127.0.0.1:4001:seg-a0"};

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> BarrierRendezvous.decode(gathered, "seg-a1"));

    assertTrue(e.getMessage().contains("rank 1 belongs to attempt 'seg-a0'"), e.getMessage());
  }

  @Test
  void executorAddressLosesItsPortButKeepsIpv6() {
    assertEquals("10.0.0.5", BarrierRendezvous.hostOf("10.0.0.5:38211"));
    assertEquals("127.0.0.1", BarrierRendezvous.hostOf("127.0.0.1"));
    assertEquals("fe80::1", BarrierRendezvous.hostOf("[fe80::1]:38211"));
    assertEquals("fe80::1", BarrierRendezvous.hostOf("fe80::1"));
  }
}
