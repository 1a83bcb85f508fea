package org.tether.storage.target;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TidReservationsTest {
    private static final TgtTargets ONE_AND_THREE = TgtTargets.parse("""
            Target 1: iqn.2003-01.org.example:a
            Target 3: iqn.2003-01.org.example:c
            """);

    @Test
    void exportsFromTheSameListingGetDifferentFreeIds() {
        TidReservations r = new TidReservations();
        assertThat(r.reserve(ONE_AND_THREE)).isEqualTo(2);
        assertThat(r.reserve(ONE_AND_THREE)).isEqualTo(4);
        assertThat(r.reserve(ONE_AND_THREE)).isEqualTo(5);
    }

    @Test
    void aReleasedIdIsFreeAgain() {
        TidReservations r = new TidReservations();
        int first = r.reserve(ONE_AND_THREE);
        r.release(first);
        assertThat(r.reserve(ONE_AND_THREE)).isEqualTo(first);
        assertThat(r.reserve(TgtTargets.parse(""))).isEqualTo(1);
    }
}
