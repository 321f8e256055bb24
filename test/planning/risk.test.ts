import { describe, expect, it } from "vitest";
import type { PlanFileInput } from "../../events/index.js";
import { CONFIRM_REASON, inferRisk, resolveRisk } from "../../runtime/planning/risk.js";
import { planFile } from "../support/fixtures.js";

const risky = (run: string) => inferRisk({ run, objective: "step" });

describe("risk inference › destructive commands, in the forms people write them", () => {
  it.each([
    // recursive deletes: flags split, grouped, reordered, long, after the path, `rm -r` alone
    ["rm -rf build/", "rm -r"],
    ["rm -fr /var/lib/app", "rm -r"],
    ["rm -Rf /srv", "rm -r"],
    ["rm -r -f dist", "rm -r"],
    ["rm -f -r dist", "rm -r"],
    ["rm --recursive -f dist", "rm -r"],
    ["rm --force --recursive dist", "rm -r"],
    ["rm -rf -- ./tmp", "rm -r"],
    ["rm -v -R logs", "rm -r"],
    ["rm dist -rf", "rm -r"],
    ["rm -r dist", "rm -r"],
    ["sudo rm -rf /opt/app", "rm -r"],
    ['echo "rm -rf /"', "rm -r"],
    // other tools that delete trees
    ["find . -name '*.log' -delete", "find -delete"],
    ["find /data -type f -exec rm {} \\;", "find -delete"],
    ["find /data -execdir /bin/rm -f {} +", "find -delete"],
    ["ls *.tmp | xargs rm", "find -delete"],
    ["npx rimraf dist", "find -delete"],
    ["python -c 'import shutil; shutil.rmtree(\"/srv\")'", "find -delete"],
    ["Remove-Item C:\\app -Recurse -Force", "find -delete"],
    ["rmdir /s /q C:\\app", "find -delete"],
    ["rsync -av --delete src/ host:/srv/", "rsync --delete"],
    ["rsync -a --delete-after src/ dst/", "rsync --delete"],
    // git: force pushes in every spelling, remote deletes, discarded work
    ["git push --force origin main", "git push --force"],
    ["git push -f", "git push --force"],
    ["git push origin main -f", "git push --force"],
    ["git push --force-with-lease", "git push --force"],
    ["git push origin +main", "git push --force"],
    ["git push origin +HEAD:main", "git push --force"],
    ["git push origin :old-branch", "git push --force"],
    ["git push origin --delete old-branch", "git push --force"],
    ["git push -d origin old-branch", "git push --force"],
    ["git push --mirror backup", "git push --force"],
    ["git -C repo push --force", "git push --force"],
    ["git clean -fdx", "git reset --hard"],
    ["git clean -xdf", "git reset --hard"],
    ["git clean --force -d", "git reset --hard"],
    ["git reset --hard origin/main", "git reset --hard"],
    ["git -C repo reset --hard", "git reset --hard"],
    ["git branch -D feature", "git reset --hard"],
    // databases, upper or lower case
    ["psql -c 'DROP TABLE users'", "SQL DROP"],
    ["psql -c 'DROP TABLE IF EXISTS users'", "SQL DROP"],
    ["psql -c 'drop table if exists users'", "SQL DROP"],
    ["psql -c 'drop database app'", "SQL DROP"],
    ["psql -c 'truncate table sessions'", "SQL DROP"],
    ["DELETE FROM orders WHERE 1=1", "SQL DROP"],
    ["mysql -e 'delete from orders'", "SQL DROP"],
    ["dropdb app", "SQL DROP"],
    ["redis-cli FLUSHALL", "SQL DROP"],
    // infrastructure
    ["terraform apply -auto-approve", "terraform"],
    ["terraform destroy", "terraform"],
    ["terraform destroy -auto-approve", "terraform"],
    ["terraform -chdir=infra destroy", "terraform"],
    ["tofu apply", "terraform"],
    ["kubectl delete namespace prod", "kubectl delete"],
    ["kubectl -n prod delete pod api-0", "kubectl delete"],
    ["kubectl --namespace=prod delete deploy api", "kubectl delete"],
    ["kubectl --context c delete svc api", "kubectl delete"],
    ["helm -n prod uninstall api", "helm uninstall"],
    ["aws s3 rm s3://bucket/ --recursive", "cloud delete"],
    ["aws rds delete-db-instance --db-instance-identifier prod", "cloud delete"],
    ["gcloud compute instances delete vm-1", "cloud delete"],
    ["gsutil -m rm -r gs://bucket", "cloud delete"],
    ["docker system prune -af", "container data delete"],
    ["docker volume rm pgdata", "container data delete"],
    ["docker compose down -v", "container data delete"],
    // releases, migrations, disks
    ["./scripts/deploy.sh production", "production"],
    ["promote build 42 to prod", "production"],
    ["npx prisma migrate deploy", "migration"],
    ["rails db:migrate", "migration"],
    ["dd if=image.iso of=/dev/sda", "disk wipe"],
    ["shred -u secrets.txt", "disk wipe"],
    ["wipefs -a /dev/sdb", "disk wipe"],
  ])("marks %j as risky (%s)", (run, name) => {
    expect(risky(run)).toMatch(/^matches /);
    expect(risky(run)).toContain(name);
  });

  it.each([
    "rm build/tmp.txt",
    "rm -f build/tmp.txt",
    "rm -i notes.txt",
    "rmdir empty-dir",
    "npm rm lodash",
    "git push origin main",
    "git push -u origin feature",
    "git push --follow-tags",
    "git push origin feature:feature",
    "git push --tags",
    "git clean -n -d",
    "git reset --soft HEAD~1",
    "git reset HEAD file.txt",
    "git branch -d merged-feature",
    "terraform plan",
    "terraform -chdir=infra plan",
    "kubectl get pods -n prod",
    "kubectl -n prod get pods",
    "kubectl apply -f deploy.yaml",
    "helm list -n prod",
    "find . -name '*.log' -print",
    "rsync -av src/ dst/",
    "rsync -a --delay-updates src/ dst/",
    "aws s3 ls s3://bucket",
    "docker compose down",
    "docker ps -a",
    "select * from orders",
    "npm run build",
    "deploy to staging",
    "echo done",
  ])("leaves %j alone", (run) => {
    expect(risky(run)).toBeUndefined();
  });

  it("reads the objective, the agent prompt and the acceptance tests too", () => {
    expect(inferRisk({ objective: "Release 2.4.1 to production" })).toBeDefined();
    expect(inferRisk({ objective: "step", agent: "run the database migration" })).toBeDefined();
    expect(inferRisk({ objective: "step", run: "true", acceptance_tests: ["true", "rm -rf /srv/app"] })).toMatch(/rm -r.*acceptance test/);
  });

  it("reads an acceptance test as a command, not as words: a path that reads like a deploy is no deploy", () => {
    expect(inferRisk({ objective: "step", acceptance_tests: ["test -s docs/peh/deploy-api-prod/notes.md"] })).toBeUndefined();
    expect(inferRisk({ objective: "step", acceptance_tests: ["npx prisma migrate deploy"] })).toMatch(/migration/);
  });
});

const task = (id: string, extra: Partial<PlanFileInput["tasks"][number]> = {}) => ({ id, objective: `Build ${id}.js`, scope: "workspace" as const, run: "make", acceptance_tests: ["true"], ...extra });

describe("risk inference › the plan as recorded", () => {
  it("keeps an explicit risky flag, and a plan cannot mark an inferred risk safe", () => {
    const plan = resolveRisk(
      planFile({
        objective: "Release",
        tasks: [
          { id: "a", objective: "Tag the release", scope: "workspace", run: "git tag v1", risky: true, acceptance_tests: ["true"] },
          { id: "b", objective: "Clean", scope: "workspace", run: "rm -rf /srv/app", risky: false, acceptance_tests: ["true"] },
          { id: "c", objective: "Build dist/", scope: "workspace", run: "make", acceptance_tests: ["true"] },
        ],
      }),
    );
    expect(plan.tasks.map((t) => [t.id, t.risky === true])).toEqual([
      ["a", true],
      ["b", true],
      ["c", false],
    ]);
    expect(plan.tasks[1]?.risk_reason).toContain("rm -r");
  });

  it("makes a task with a confirmation phrase risky, so the phrase is asked for, and says why", () => {
    const plan = resolveRisk(planFile({ objective: "Tag v1", tasks: [task("tag", { confirm: "tag v1 now" }), task("b", { confirm: "b", risky: false }), task("c")] }));
    expect(plan.tasks.map((t) => [t.id, t.risky === true, t.risk_reason])).toEqual([
      ["tag", true, CONFIRM_REASON],
      ["b", true, CONFIRM_REASON],
      ["c", false, undefined],
    ]);
  });

  it("judges a task that quotes the plan's objective by its own words when another task takes the risky step on", () => {
    const objective = "Release 2.4.1 to production";
    const plan = resolveRisk(
      planFile({
        objective,
        tasks: [
          task("build", { objective: `Build the artifacts for: ${objective}`, agent: `Build them.\n\nOverall objective: ${objective}` }),
          task("deploy", { objective: `Deploy to production: ${objective}` }),
        ],
      }),
    );
    expect(plan.tasks.map((t) => [t.id, t.risky === true])).toEqual([
      ["build", false],
      ["deploy", true],
    ]);
  });

  it("makes every task that quotes a risky objective risky when no task takes that step on in its own words", () => {
    const objective = "Wipe the cache with rm -rf /var/cache/app";
    const plan = resolveRisk(planFile({ objective, tasks: [task("a", { agent: `Do step a.\n\nOverall objective: ${objective}` }), task("b", { objective: "Build b.js", run: "make b" })] }));
    expect(plan.tasks.map((t) => [t.id, t.risky === true])).toEqual([
      ["a", true],
      ["b", false],
    ]);
    expect(plan.tasks[0]?.risk_reason).toContain("plan's objective");
  });
});

describe("risk inference › grant requests", () => {
  it("makes a task risky for each grant it asks for, the reason naming the grant", () => {
    const plan = resolveRisk(
      planFile({
        objective: "Fetch and build",
        tasks: [
          task("net", { network: true }),
          task("out", { writable: ["/x"] }),
          task("raw", { sandbox: "off" }),
          task("all", { network: true, writable: ["/x", "cache"], run: "rm -rf build" }),
          task("none", { network: false, writable: [] }),
        ],
      }),
    );
    expect(plan.tasks.map((t) => [t.id, t.risky === true, t.risk_reason])).toEqual([
      ["net", true, "asks for the network"],
      ["out", true, "asks to write outside its scope: /x"],
      ["raw", true, "asks to run without the sandbox"],
      ["all", true, "matches recursive delete (rm -r, rm -rf); asks for the network; asks to write outside its scope: /x, cache"],
      ["none", false, undefined],
    ]);
  });

  it("cannot be talked out of by risky: false", () => {
    const [net] = resolveRisk(planFile({ objective: "Fetch", tasks: [task("net", { network: true, risky: false })] })).tasks;
    expect(net).toMatchObject({ risky: true, risk_reason: "asks for the network" });
  });
});
