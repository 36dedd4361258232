package org.protosw.siftr.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** {@code tcp:plot} over the log of a real lossy transfer. */
class PlotTest {
    @TempDir
    static Path dir;
    static Path log;

    @BeforeAll
    static void traceATransfer() throws Exception {
        try (SiftrTestbed tb = new SiftrTestbed(dir)) {
            tb.pipeA("bw 20Mbit/s delay 10ms plr 0.01 seed 5");
            tb.sysctl(tb.a, Siftr.SYSCTL_ENABLED, 1);
            assertThat(tb.transfer(8300, 2 << 20)).isTrue();
            assertThat(tb.transfer(8301, 64 << 10)).isTrue();
            tb.sysctl(tb.a, Siftr.SYSCTL_ENABLED, 0);
        }
        log = dir.resolve("siftr.log");
    }

    /**
     * The point counts of the data lines drawn in {@code color}: each series is one path (its
     * legend sample, a path of two points, is left out), inside a group stroked in its colour.
     */
    static List<Integer> linesIn(Document svg, java.awt.Color color) {
        String stroke = "stroke:rgb(" + color.getRed() + "," + color.getGreen() + "," + color.getBlue() + ")";
        List<Integer> points = new ArrayList<>();
        NodeList gs = svg.getElementsByTagName("g");
        for (int i = 0; i < gs.getLength(); i++) {
            Element g = (Element) gs.item(i);
            if (!g.getAttribute("style").contains(stroke)) {
                continue;
            }
            NodeList paths = g.getElementsByTagName("path");
            for (int j = 0; j < paths.getLength(); j++) {
                String d = ((Element) paths.item(j)).getAttribute("d");
                int n = d.split("[ML]", -1).length - 1;
                if (n > 2) {
                    points.add(n);
                }
            }
        }
        return points;
    }

    static List<String> texts(Document svg) {
        List<String> out = new ArrayList<>();
        NodeList ts = svg.getElementsByTagName("text");
        for (int i = 0; i < ts.getLength(); i++) {
            out.add(ts.item(i).getTextContent());
        }
        return out;
    }

    @Test
    void onePicturePerConnectionInSvgAndPng() throws Exception {
        Path out = dir.resolve("plots");
        String said = new PlotCommand().plot(log.toString(), out.toString());
        System.out.print(said);
        assertThat(said).contains("-10.0.0.2:8300:", "-10.0.0.2:8301:");
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).hasSize(4)
                    .allMatch(n -> n.startsWith("10.0.0.1_") && (n.endsWith(".svg") || n.endsWith(".png")));
        }
        Path svg;
        Path png;
        try (var files = Files.list(out)) {
            svg = files.filter(p -> p.toString().endsWith("10.0.0.2_8300.svg")).findFirst().orElseThrow();
        }
        png = Path.of(svg.toString().replace(".svg", ".png"));
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 8);
        assertThat(head).as("PNG signature").containsExactly(0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a);

        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(false);
        // never fetch anything while parsing
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document doc = f.newDocumentBuilder().parse(svg.toFile());
        assertThat(doc.getDocumentElement().getTagName()).isEqualTo("svg");
        SiftrTrace trace = SiftrTrace.read(log);
        List<SiftrTrace.Line> flow = trace.withPort(8300).values().iterator().next();
        // one line per quantity, each in its own colour; cwnd has a point per segment line
        assertThat(linesIn(doc, TcpPlot.CWND)).containsExactly(flow.size());
        long ssthreshSet = flow.stream().filter(l -> l.ssthresh() < TcpPlot.SSTHRESH_UNSET).count();
        assertThat(linesIn(doc, TcpPlot.SSTHRESH)).containsExactly((int) ssthreshSet);
        assertThat(linesIn(doc, TcpPlot.SRTT)).singleElement().matches(n -> n > 10);
        assertThat(linesIn(doc, TcpPlot.THROUGHPUT)).singleElement().matches(n -> n > 10);
        assertThat(texts(doc)).containsOnlyOnce("cwnd", "ssthresh", "srtt", "throughput");
        assertThat(texts(doc)).anyMatch(t -> t.contains("10.0.0.2:8300"));
        // kept in target/ for a look (the README's picture, docs/siftr-plot.png, is one of these)
        Files.copy(log, Path.of("target", "plot-sample.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(svg, Path.of("target", "plot-sample.svg"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(png, Path.of("target", "plot-sample.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void portSelectsOneConnectionAndBadArgumentsSayWhy() throws Exception {
        Path out = dir.resolve("port");
        String said = new PlotCommand().plot("-p", "8301", "-t", "svg", log.toString(), out.toString());
        assertThat(said.lines().toList()).hasSize(1);
        try (var files = Files.list(out)) {
            assertThat(files.toList()).singleElement().matches(p -> p.toString().endsWith("10.0.0.2_8301.svg"));
        }
        assertThatThrownBy(() -> new PlotCommand().plot("-p", "9999", log.toString(), out.toString()))
                .hasMessageContaining("no connection").hasMessageContaining("port 9999");
        assertThatThrownBy(() -> new PlotCommand().plot(dir.resolve("nope.log").toString(), out.toString()))
                .hasMessageContaining("no such file");
    }
}
