#!/usr/bin/perl
# Flotilla's local launcher. The core (a large Node process) hands it attempts to start, so
# the core never forks: a fork of Node costs about a millisecond of its main thread, which
# for short tasks is most of the cost of a task.
#
# Protocol, one line each way, fields separated by tabs:
#   in:  ID SHELL SCRIPT [FOLDER]...   (all but ID base64)
#   out: started ID PID | exit ID CODE SIGNAL | failed ID MESSAGE
# It creates the folders, then runs SHELL -c SCRIPT flotilla FOLDER... in a new session.
# CODE is -1 when the attempt was killed by signal number SIGNAL. The script itself sets up
# its output files, working folder and environment: after a fork this helper does as little
# as it can before exec, because every page a Perl child touches is copied.
#
# The attempt runs in a new session (its own process group), so the core can stop
# everything it started with one kill. If the core dies, this helper sees the end of its
# input and exits; attempts go on, and their marker files tell a restarted core how they
# ended.
use strict;
use warnings;
use POSIX ();
use MIME::Base64 qw(decode_base64);

$| = 1;
binmode STDIN;
binmode STDOUT;

my %attempts;    # pid => id
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
        my $ready = select($readable, undef, undef, $children_changed ? 0 : %attempts ? 0.002 : undef);
        if ($ready > 0) {
            my $read = sysread(STDIN, $buffer, 65536, length $buffer);
            if (!$read) {
                $input_open = 0;
            }
            while ((my $end = index($buffer, "\n")) >= 0) {
                launch(substr($buffer, 0, $end));
                substr($buffer, 0, $end + 1) = '';
            }
        }
    } else {
        select(undef, undef, undef, 0.002) unless $children_changed;
    }
    reap();
}

sub reap {
    $children_changed = 0;
    while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
        my $id = delete $attempts{$pid};
        next unless defined $id;
        my $signal = $? & 127;
        my $code = $signal ? -1 : $? >> 8;
        print "exit $id $code $signal\n" if $input_open;
    }
}

sub launch {
    my ($id, @fields) = split /\t/, shift, -1;
    my ($shell, $script, @folders) = map { decode_base64($_) } @fields;
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
        POSIX::setsid();
        { no warnings 'exec'; exec { $shell } $shell, '-c', $script, 'flotilla', @folders; }
        print "failed $id cannot run $shell: $!\n";
        POSIX::_exit(127);
    }
    $attempts{$pid} = $id;
    print "started $id $pid\n";
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
