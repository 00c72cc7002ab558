# The benchmark at a glance: six panels, one group of bars per contender,
# tlsmux first and shaded.
#   gnuplot -e "dir='bench/results'" bench/chart.gp
set terminal pngcairo size 1500,1000 font "DejaVu Sans,10"
set output dir."/chart.png"
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set key above horizontal font ",9"
set grid ytics
set xtics rotate by 30 right scale 0 font ",9"
set lmargin 10
set bmargin 7
set object 1 rect from first -0.35, graph 0 to first 0.72, graph 1 \
    fc rgb "#ececec" fs solid noborder behind
plain = "#4C72B0"; tls = "#DD8452"; plain2 = "#9DB4D8"; tls2 = "#F2C19E"

set multiplot layout 2,3 title "tlsmux against its peers on 2 cores, loopback (bench/results/results.md has the figures; a missing bar: not applicable)" font ",12"

set title "new connections per second (log scale)\nhigher is better"
set logscale y
plot dir."/chart-connections.dat" using 2:xtic(1) title "plain" lc rgb plain, \
     "" using 3 title "TLS" lc rgb tls

unset logscale y
set yrange [0:*]
set title "bulk throughput, 1 GiB, MB/s\nhigher is better"
plot dir."/chart-bulk.dat" using 2:xtic(1) title "plain down" lc rgb plain, \
     "" using 3 title "plain up" lc rgb plain2, \
     "" using 4 title "TLS down" lc rgb tls, \
     "" using 5 title "TLS up" lc rgb tls2

set title "small messages, 50 clients, GET/s\nhigher is better"
plot dir."/chart-messages.dat" using 2:xtic(1) title "plain" lc rgb plain, \
     "" using 3 title "TLS" lc rgb tls

set autoscale y
set title "CPU per connection, ms (log scale)\nlower is better"
set logscale y
plot dir."/chart-cpu.dat" using 2:xtic(1) title "plain" lc rgb plain, \
     "" using 3 title "TLS" lc rgb tls

unset logscale y
set yrange [0:*]
set title "small-message latency, one client, p50 µs\nlower is better"
plot dir."/chart-latency.dat" using 2:xtic(1) title "plain" lc rgb plain, \
     "" using 3 title "TLS" lc rgb tls

set autoscale y
set title "memory per idle connection, USS KiB (log scale)\nlower is better; a daemon's pools can absorb them (≈0, no bar)"
set logscale y
plot dir."/chart-memory.dat" using 2:xtic(1) title "plain" lc rgb plain, \
     "" using 3 title "TLS" lc rgb tls

unset multiplot
