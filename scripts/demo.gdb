# A short tour of time travel on a replayed recording of guests/bin/revdebug.elf.
set pagination off
set confirm off
echo \n--- break in step_one, run forward three hits\n
break step_one
continue
continue
continue
print x
print counter
echo \n--- reverse-continue: back to the previous hit of the breakpoint\n
reverse-continue
print x
print counter
echo \n--- reverse-stepi twice, then stepi: the registers come back exactly\n
info registers pc a0
reverse-stepi
reverse-stepi
info registers pc a0
stepi
info registers pc a0
echo \n--- reverse watchpoint: where was counter last written?\n
delete
watch counter
reverse-continue
backtrace
echo \n--- the monitor knows where we are in the recording\n
monitor info replay
monitor info snapshots
delete
echo \n--- all the way back to the start of the recording\n
reverse-continue
kill
