package org.protosw.siftr.internal;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.protosw.siftr.internal.SiftrTrace.Line;

/**
 * Draws a siftr trace, one picture per connection: the congestion window and slow start
 * threshold, the smoothed RTT and the throughput, over the same time axis (seconds since the
 * connection's first line), as SVG (JFreeSVG) and PNG. Drawn by JFreeChart, so the picture is
 * laid out, scaled and labelled by a charting library, not by hand.
 */
final class TcpPlot {
    static final int WIDTH = 900;
    static final int HEIGHT = 720;
    /** Points kept per series: beyond that each bucket keeps its lowest and highest point. */
    static final int MAX_POINTS = 4000;
    /** An ssthresh this large is TCP's "not yet set" (infinite): not drawn. */
    static final long SSTHRESH_UNSET = 1L << 30;

    static final Color CWND = new Color(0x1f77b4);
    static final Color SSTHRESH = new Color(0xd62728);
    static final Color SRTT = new Color(0x2ca02c);
    static final Color THROUGHPUT = new Color(0x9467bd);

    /** What was written for one connection. */
    record Output(String flow, Path svg, Path png, int lines) {
    }

    private TcpPlot() {
    }

    /** Draws each connection of {@code trace} with {@code port} at either end (0: all) into {@code outDir}. */
    static List<Output> plot(SiftrTrace trace, int port, Path outDir, boolean svg, boolean png) throws IOException {
        Files.createDirectories(outDir);
        List<Output> out = new ArrayList<>();
        for (Map.Entry<String, List<Line>> e : trace.withPort(port).entrySet()) {
            JFreeChart chart = chart(e.getKey(), e.getValue());
            String base = e.getKey().replace(':', '_');
            Path s = svg ? outDir.resolve(base + ".svg") : null;
            Path p = png ? outDir.resolve(base + ".png") : null;
            if (s != null) {
                SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
                chart.draw(g, new java.awt.Rectangle(0, 0, WIDTH, HEIGHT));
                // no DOCTYPE: the SVG DTD is obsolete, and readers would try to fetch it
                Files.writeString(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + g.getSVGElement() + "\n");
            }
            if (p != null) {
                ChartUtils.saveChartAsPNG(p.toFile(), chart, WIDTH, HEIGHT);
            }
            out.add(new Output(e.getKey(), s, p, e.getValue().size()));
        }
        return out;
    }

    static JFreeChart chart(String flow, List<Line> lines) {
        double t0 = lines.get(0).time();
        NumberAxis time = new NumberAxis("time (s)");
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(time);
        plot.setGap(12);

        XYSeriesCollection window = new XYSeriesCollection();
        window.addSeries(series("cwnd", lines, t0, l -> true, l -> l.cwnd() / 1024.0));
        window.addSeries(series("ssthresh", lines, t0, l -> l.ssthresh() < SSTHRESH_UNSET, l -> l.ssthresh() / 1024.0));
        plot.add(subplot(window, "window (KiB)", CWND, SSTHRESH), 2);

        XYSeriesCollection rtt = new XYSeriesCollection();
        rtt.addSeries(series("srtt", lines, t0, l -> l.srttMicros() > 0, l -> l.srttMicros() / 1000.0));
        plot.add(subplot(rtt, "srtt (ms)", SRTT), 1);

        XYSeriesCollection tput = new XYSeriesCollection();
        tput.addSeries(throughput(lines, t0));
        plot.add(subplot(tput, "throughput (Mbit/s)", THROUGHPUT), 1);

        JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.addSubtitle(new TextTitle("siftr: " + flow.replace("-", " -> "), new Font(Font.SANS_SERIF, Font.BOLD, 14)));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static XYPlot subplot(XYSeriesCollection data, String label, Color... colors) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        // one path per series, not one line per pair of points: a small SVG, one element a quantity
        r.setDrawSeriesLineAsPath(true);
        for (int i = 0; i < colors.length; i++) {
            r.setSeriesPaint(i, colors[i]);
            r.setSeriesStroke(i, new BasicStroke(1.2f));
        }
        NumberAxis axis = new NumberAxis(label);
        axis.setAutoRangeIncludesZero(true);
        XYPlot p = new XYPlot(data, null, axis, r);
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(Color.LIGHT_GRAY);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }

    private static XYSeries series(String name, List<Line> lines, double t0, java.util.function.Predicate<Line> keep,
            ToDoubleFunction<Line> value) {
        List<double[]> pts = new ArrayList<>();
        for (Line l : lines) {
            if (keep.test(l)) {
                pts.add(new double[] {l.time() - t0, value.applyAsDouble(l)});
            }
        }
        return toSeries(name, decimate(pts));
    }

    /**
     * Bytes per bin over time, in the direction that carried the data: what the connection
     * sent (its out lines' payload, retransmissions included) or, for a receiver, what it got.
     * The bin is a hundredth of the connection's life, at least 10 ms.
     */
    static XYSeries throughput(List<Line> lines, double t0) {
        long outBytes = 0;
        long inBytes = 0;
        for (Line l : lines) {
            if (l.out()) {
                outBytes += l.dataSz();
            } else {
                inBytes += l.dataSz();
            }
        }
        boolean sender = outBytes >= inBytes;
        double span = Math.max(lines.get(lines.size() - 1).time() - t0, 1e-3);
        double bin = Math.max(span / 100, 0.010);
        int bins = (int) Math.ceil(span / bin) + 1;
        long[] bytes = new long[bins];
        for (Line l : lines) {
            if (l.out() == sender) {
                bytes[Math.min(bins - 1, (int) ((l.time() - t0) / bin))] += l.dataSz();
            }
        }
        List<double[]> pts = new ArrayList<>();
        for (int i = 0; i < bins; i++) {
            pts.add(new double[] {(i + 0.5) * bin, bytes[i] * 8 / bin / 1e6});
        }
        return toSeries("throughput", pts);
    }

    /** At most {@link #MAX_POINTS}: each bucket of k points keeps its lowest and highest, in time order. */
    static List<double[]> decimate(List<double[]> pts) {
        if (pts.size() <= MAX_POINTS) {
            return pts;
        }
        int k = (int) Math.ceil(pts.size() / (MAX_POINTS / 2.0));
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < pts.size(); i += k) {
            double[] lo = pts.get(i);
            double[] hi = lo;
            for (int j = i; j < Math.min(i + k, pts.size()); j++) {
                double[] p = pts.get(j);
                if (p[1] < lo[1]) {
                    lo = p;
                }
                if (p[1] > hi[1]) {
                    hi = p;
                }
            }
            if (lo == hi) {
                out.add(lo);
            } else if (lo[0] <= hi[0]) {
                out.add(lo);
                out.add(hi);
            } else {
                out.add(hi);
                out.add(lo);
            }
        }
        return out;
    }

    private static XYSeries toSeries(String name, List<double[]> pts) {
        XYSeries s = new XYSeries(name, false, true);
        for (double[] p : pts) {
            s.add(p[0], p[1], false);
        }
        s.fireSeriesChanged();
        return s;
    }
}
