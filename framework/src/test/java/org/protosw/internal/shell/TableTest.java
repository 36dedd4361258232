package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TableTest {
    @Test
    void alignsTextLeftAndNumbersRightWithoutTrailingBlanks() {
        Table t = new Table("Name", ">Count", "Note");
        t.row("lo0", 7, "loopback").row("epair10a", 12345, null).row("x", 0);
        assertThat(t).hasToString("""
                Name      Count  Note
                lo0           7  loopback
                epair10a  12345
                x             0
                """);
        assertThat(t.isEmpty()).isFalse();
    }

    @Test
    void aTableWithoutRowsIsItsHeader() {
        Table t = new Table(">ID", "FILE");
        assertThat(t.isEmpty()).isTrue();
        assertThat(t).hasToString("ID  FILE\n");
    }
}
