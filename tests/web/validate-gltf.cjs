// Runs the Khronos glTF-Validator (npm gltf-validator) on each file named on the command line and prints
// a JSON array of its reports. External resources are read from the model's own folder only, the way
// Disan reads them: anything that leaves it is refused.
const fs = require("fs");
const path = require("path");
const validator = require("gltf-validator");

async function validate(file) {
  const dir = path.dirname(path.resolve(file));
  return validator.validateBytes(new Uint8Array(fs.readFileSync(file)), {
    uri: path.basename(file),
    maxIssues: 0,
    externalResourceFunction: (uri) =>
      new Promise((resolve, reject) => {
        const full = path.resolve(dir, decodeURIComponent(uri));
        if (!full.startsWith(dir + path.sep)) {
          reject(`${uri}: outside the model's folder`);
          return;
        }
        fs.readFile(full, (err, data) => (err ? reject(err.toString()) : resolve(data)));
      }),
  });
}

(async () => {
  const reports = [];
  for (const file of process.argv.slice(2)) {
    try {
      reports.push(await validate(file));
    } catch (e) {
      reports.push({ uri: file, error: String(e) });
    }
  }
  process.stdout.write(JSON.stringify(reports));
})();
