package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The Import-Package ranges net:diag prints, from the filters Felix makes of them. */
class PackageNeedTest {
    @Test
    void aMajorRange() {
        assertThat(PackageNeed.of("(&(osgi.wiring.package=org.protosw.spi)(version>=2.0.0)(!(version>=3.0.0)))"))
                .contains(new PackageNeed("org.protosw.spi", "[2.0.0,3.0.0)"));
    }

    @Test
    void openAndClosedEnds() {
        assertThat(PackageNeed.of("(&(osgi.wiring.package=p)(!(version<=1.0.0))(version<=1.5.0))"))
                .contains(new PackageNeed("p", "(1.0.0,1.5.0]"));
        assertThat(PackageNeed.of("(&(osgi.wiring.package=p)(version>=1.2.0))")).contains(new PackageNeed("p", "1.2.0 or later"));
        assertThat(PackageNeed.of("(osgi.wiring.package=p)")).contains(new PackageNeed("p", "(any version)"));
        assertThat(PackageNeed.of("(&(osgi.wiring.package=p)(version=1.0.0))")).contains(new PackageNeed("p", "[1.0.0,1.0.0]"));
    }

    @Test
    void notAPackageFilter() {
        assertThat(PackageNeed.of("(&(osgi.ee=JavaSE)(version=25))")).isEmpty();
        assertThat(PackageNeed.of(null)).isEmpty();
    }
}
