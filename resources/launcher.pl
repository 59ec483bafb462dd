#!/usr/bin/perl
# Flotilla's local launcher. The core (a large Node process) hands it attempts to start, so
# the core never forks: a fork of Node costs about a millisecond of its main thread, which
# for short tasks is most of the cost of a task.
#
# Usage: launcher.pl [SLOTS]  (the same protocol as launcher.c, which is used where a C
# compiler was found). At most SLOTS attempts run at once (default: no limit); more wait in
# a queue and start the moment one ends, without a round trip to the core.
#
# Protocol, one line each way, fields separated by tabs:
#   in:  ID SHELL SCRIPT MARKER STDOUT STDERR [FOLDER]...   (in all but ID a backslash,
#        tab or newline is escaped as \\, \t or \n)
#        cancel ID      drops a queued attempt (a running one the core kills itself)
#        ack … | bye    (for launcher.c; ignored here)
#   out: started ID PID | exit ID CODE SIGNAL | failed ID MESSAGE | withdrawn ID
# For an attempt it creates the folders, runs SHELL -c SCRIPT flotilla MARKER in its own
# process group, and appends "pid PID" to the MARKER file. Unlike launcher.c it leaves the
# log files and the exit status in the marker to the script (see attemptScript).
# CODE is -1 when the attempt was killed by signal number SIGNAL. The script itself sets up
# its output files, working folder and environment: after a fork this helper does as little
# as it can before exec, because every page a Perl child touches is copied.
#
# The attempt runs in its own process group, so the core can stop
# everything it started with one kill. If the core dies, this helper sees the end of its
# input and exits; attempts go on, and their marker files tell a restarted core how they
# ended.
use strict;
use warnings;

# Not POSIX.pm: it doubles this helper's memory, and every fork copies its page tables.
use constant WNOHANG => 1;    # the same on Linux and macOS

$| = 1;
# A core that died, a closed terminal or a Ctrl-C meant for the core must not take this
# helper (and the attempts' ends) with it. Attempts get the default dispositions back.
$SIG{$_} = 'IGNORE' for qw(PIPE INT HUP TERM);
binmode STDIN;
binmode STDOUT;
{
    # Non-blocking input, so a read after select never waits.
    use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
    my $flags = fcntl(STDIN, F_GETFL, 0);
    fcntl(STDIN, F_SETFL, $flags | O_NONBLOCK);
}

my %attempts;    # pid => id
my @queue;       # request lines waiting for a slot
my $slots = @ARGV ? $ARGV[0] : -1;
my $buffer = '';
my $input_open = 1;
my $children_changed = 0;
$SIG{CHLD} = sub { $children_changed = 1 };

while ($input_open || %attempts) {
    if ($input_open) {
        my $readable = '';
        vec($readable, fileno(STDIN), 1) = 1;
        # SIGCHLD usually interrupts select, but not when it lands just before the call; a
        # short timeout while attempts run bounds that delay (idle, it blocks for input).
        select($readable, undef, undef, $children_changed ? 0 : %attempts ? 0.002 : undef);
        # Requests first, even when a child's end woke us: a cancel the core wrote before it
        # killed a running attempt must reach the queue before that end frees a slot.
        my $read = sysread(STDIN, $buffer, 65536, length $buffer);
        if (defined $read || !($!{EAGAIN} || $!{EINTR})) {
            $input_open = 0 if !$read;
            while ((my $end = index($buffer, "\n")) >= 0) {
                request(substr($buffer, 0, $end));
                substr($buffer, 0, $end + 1) = '';
            }
        }
    } else {
        select(undef, undef, undef, 0.002) unless $children_changed;
    }
    reap();
    drain() if $input_open;
}

sub request {
    my ($line) = @_;
    return if $line =~ /^(?:ack |bye$)/;
    if ($line =~ /^cancel (\S+)$/) {
        my $id = $1;
        my $before = @queue;
        @queue = grep { !/^\Q$id\E\t/ } @queue;
        print "withdrawn $id\n" if @queue < $before;
        return;
    }
    push @queue, $line;
    drain();
}

sub drain {
    launch(shift @queue) while @queue && ($slots < 0 || keys(%attempts) < $slots);
}

sub reap {
    $children_changed = 0;
    while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
        my $id = delete $attempts{$pid};
        next unless defined $id;
        my $signal = $? & 127;
        my $code = $signal ? -1 : $? >> 8;
        print "exit $id $code $signal\n" if $input_open;
    }
}

sub launch {
    my ($id, @fields) = split /\t/, shift, -1;
    my %escaped = ('\\' => '\\', t => "\t", n => "\n");
    for my $i (0 .. $#fields) {
        (my $rest = $fields[$i]) =~ s/\\[\\tn]//g;
        if ($rest =~ /\\/) {
            printf "failed %s field %d of the request has an unknown escape\n", $id, $i + 1;
            return;
        }
        $fields[$i] =~ s/\\([\\tn])/$escaped{$1}/g;
    }
    my ($shell, $script, $marker, undef, undef, @folders) = @fields;
    for my $folder (@folders) {
        next if make_folder($folder);
        print "failed $id cannot create folder $folder: $!\n";
        return;
    }
    my $pid = fork;
    if (!defined $pid) {
        print "failed $id cannot fork: $!\n";
        return;
    }
    if ($pid == 0) {
        $SIG{$_} = 'DEFAULT' for qw(PIPE INT HUP TERM CHLD);
        setpgrp(0, 0);
        { no warnings 'exec'; exec { $shell } $shell, '-c', $script, 'flotilla', $marker; }
        print "failed $id cannot run $shell: $!\n";
        exit 127;
    }
    $attempts{$pid} = $id;
    print "started $id $pid\n";
    if (open(my $status, '>>', $marker)) {
        print $status "pid $pid\n";
        close $status;
    }
}

# mkdir -p, with one system call when the parent exists (the common case).
sub make_folder {
    my ($folder) = @_;
    return 1 if mkdir($folder) || $!{EEXIST};
    return 0 unless $!{ENOENT};
    (my $parent = $folder) =~ s{/[^/]+/?$}{};
    return 0 if $parent eq '' || $parent eq $folder || !make_folder($parent);
    return mkdir($folder) || $!{EEXIST};
}
