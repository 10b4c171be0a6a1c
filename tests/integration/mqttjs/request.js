#!/usr/bin/env node
// tests/integration/mqttjs/request.js - one MQTT v5 request/response with MQTT.js, a third-party
// client, for edged's integration tests (scripts/install-mqttjs.sh installs it).
//
// usage: node request.js --url mqtt://127.0.0.1:PORT --topic T --response-topic R
//            --correlation STR --payload-file F (- for stdin) [--content-type CT]
//            [--user-property k=v ...] [--qos 1] [--timeout-ms 20000]
//
// Subscribes to R, publishes the payload on T with the v5 properties responseTopic,
// correlationData (the bytes of STR), contentType and userProperties, waits for the first
// message on R whose correlation data is STR and prints one JSON line:
//   {"topic":...,"correlation":...,"content_type":...,"user_properties":{...},"payload_base64":...}
// (content_type null when absent; a user property sent more than once is an array). Exits 0;
// on a timeout or an error prints the reason on stderr and exits 1 (2: bad arguments).
'use strict';

const fs = require('fs');
const mqtt = require('mqtt');

function usage(msg) {
  process.stderr.write(`request.js: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { qos: 1, timeoutMs: 20000, contentType: undefined, userProperties: {} };
  const names = {
    '--url': 'url', '--topic': 'topic', '--response-topic': 'responseTopic',
    '--correlation': 'correlation', '--payload-file': 'payloadFile',
    '--content-type': 'contentType', '--qos': 'qos', '--timeout-ms': 'timeoutMs',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) usage(`${flag} needs a value`);
    i++;
    if (flag === '--user-property') {
      const eq = value.indexOf('=');
      if (eq <= 0) usage(`--user-property wants k=v, not ${value}`);
      const k = value.slice(0, eq);
      const v = value.slice(eq + 1);
      const prev = a.userProperties[k];
      a.userProperties[k] = prev === undefined ? v : [].concat(prev, v);
    } else if (names[flag]) {
      a[names[flag]] = value;
    } else {
      usage(`unknown option ${flag}`);
    }
  }
  for (const k of ['url', 'topic', 'responseTopic', 'correlation', 'payloadFile']) {
    if (a[k] === undefined) usage(`missing --${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
  }
  a.qos = Number(a.qos);
  a.timeoutMs = Number(a.timeoutMs);
  if (![0, 1, 2].includes(a.qos)) usage('--qos must be 0, 1 or 2');
  if (!(a.timeoutMs > 0)) usage('--timeout-ms must be positive');
  return a;
}

function main() {
  const a = parseArgs(process.argv.slice(2));
  let payload;
  try {
    payload = fs.readFileSync(a.payloadFile === '-' ? 0 : a.payloadFile);
  } catch (e) {
    usage(`${a.payloadFile}: ${e.message}`);
  }
  const corr = Buffer.from(a.correlation, 'utf8');
  let done = false;
  let timer = null;

  const client = mqtt.connect(a.url, {
    protocolVersion: 5,
    clean: true,
    reconnectPeriod: 0, // one attempt: a refused or lost connection is an error here
    connectTimeout: a.timeoutMs,
  });

  const finish = (code, line) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (code === 0) process.stdout.write(line + '\n');
    else process.stderr.write(`request.js: ${line}\n`);
    process.exitCode = code;
    client.end(true, () => process.exit(code));
    setTimeout(() => process.exit(code), 2000).unref();
  };
  timer = setTimeout(
    () => finish(1, `timeout after ${a.timeoutMs} ms: no message on ${a.responseTopic} with ` +
      `correlation data ${JSON.stringify(a.correlation)}`),
    a.timeoutMs);

  client.on('error', (err) => finish(1, `MQTT error: ${err.message}`));
  client.on('close', () => finish(1, 'connection closed before the response'));

  client.on('message', (topic, message, packet) => {
    const props = packet.properties || {};
    if (topic !== a.responseTopic || !props.correlationData ||
        !corr.equals(Buffer.from(props.correlationData))) {
      return;
    }
    finish(0, JSON.stringify({
      topic,
      correlation: Buffer.from(props.correlationData).toString('utf8'),
      content_type: props.contentType === undefined ? null : props.contentType,
      user_properties: props.userProperties || {},
      payload_base64: Buffer.from(message).toString('base64'),
    }));
  });

  client.once('connect', () => {
    client.subscribe(a.responseTopic, { qos: a.qos }, (err, granted) => {
      if (err) return finish(1, `subscribe ${a.responseTopic}: ${err.message}`);
      if (!granted || !granted.length || granted[0].qos >= 128) {
        const code = granted && granted[0] ? granted[0].qos : '?';
        return finish(1, `subscribe ${a.responseTopic} refused (${code})`);
      }
      const properties = { responseTopic: a.responseTopic, correlationData: corr };
      if (a.contentType !== undefined) properties.contentType = a.contentType;
      if (Object.keys(a.userProperties).length) properties.userProperties = a.userProperties;
      client.publish(a.topic, payload, { qos: a.qos, properties }, (perr) => {
        if (perr) finish(1, `publish ${a.topic}: ${perr.message}`);
      });
    });
  });
}

main();
