# The benchmark at a glance: six panels, one bar per contender and mode.
#   gnuplot -e "dir='bench/results'" bench/chart.gp
set terminal pngcairo size 1500,1000 font "DejaVu Sans,10"
set output dir."/chart.png"
set datafile missing "NaN"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set key top right
set grid ytics
set xtics rotate by -30 scale 0 font ",9"
set lmargin 10
plain = "#4C72B0"; tls = "#DD8452"; plain2 = "#8FAADC"; tls2 = "#F4B183"

set multiplot layout 2,3 title "tlsmux against its peers (2 cores, loopback; higher is better on the top row, lower on the bottom)" font ",13"

set title "new connections per second (log)"
set logscale y
plot dir."/chart-connections.dat" using 2:xtic(1) title "plain" lc rgb plain, \
     "" using 3 title "TLS" lc rgb tls

unset logscale y
set title "bulk throughput, 1 GiB, MB/s"
plot dir."/chart-bulk.dat" using 2:xtic(1) title "plain down" lc rgb plain, \
     "" using 3 title "plain up" lc rgb plain2, \
     "" using 4 title "TLS down" lc rgb tls, \
     "" using 5 title "TLS up" lc rgb tls2

set title "small messages, 50 clients, GET/s"
plot dir."/chart-messages.dat" using 2:xtic(1) title "plain" lc rgb plain, \
     "" using 3 title "TLS" lc rgb tls

set title "CPU per connection, ms (log)"
set logscale y
plot dir."/chart-cpu.dat" using 2:xtic(1) title "plain" lc rgb plain, \
     "" using 3 title "TLS" lc rgb tls

unset logscale y
set title "small-message latency, one client, p50 µs"
plot dir."/chart-latency.dat" using 2:xtic(1) title "plain" lc rgb plain, \
     "" using 3 title "TLS" lc rgb tls

set title "memory per idle connection, USS KiB (log)"
set logscale y
plot dir."/chart-memory.dat" using 2:xtic(1) title "plain" lc rgb plain, \
     "" using 3 title "TLS" lc rgb tls

unset multiplot
