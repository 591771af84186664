#!/usr/bin/env node
/**
 * The `mail-autopilot` command. Kept tiny: it parses the command line and hands over to `runCli`, so tests drive the
 * same entry point in-process.
 *
 * @module
 */
import { runCli } from './main.js';

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) },
  { env: process.env, signals: process },
);
