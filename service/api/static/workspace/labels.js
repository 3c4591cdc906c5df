"use strict";
// The workspace's own words, Chinese first. Texts about results (what binds, reasons,
// notes, the two figures) come from the API in both languages (service/i18n.py).
window.LABELS = {
  title: ["救灾物资工作台", "Relief workspace"],
  logout: ["退出登录", "Log out"],
  login_title: ["登录", "Log in"],
  token: ["访问令牌", "Token"],
  login: ["登录", "Log in"],
  login_hint: ["令牌由管理员用 relief token create 生成。",
    "An administrator makes tokens with relief token create."],
  bad_token: ["令牌无效或已过期,请重新输入。", "The token is wrong or has expired; enter it again."],
  no_token: ["请输入访问令牌。", "Enter a token."],
  offline: ["无法连接服务,正在重试…", "Cannot reach the service; retrying…"],
  check_title: ["灾后基本生活救助时效核查", "Relief check: basic needs met in time"],
  area: ["区域", "Area"],
  scenario: ["情景", "Scenario"],
  library: ["内置", "bundled"],
  stored: ["已保存", "stored"],
  plan_seconds: ["调度计划搜索时间(秒)", "Plan search time (s)"],
  run_check: ["运行核查", "Run the check"],
  readonly: ["当前角色只能查看,不能运行核查。", "This role may look but not run checks."],
  answer: ["核查结果", "Answer"],
  by_county: ["按来源县(市、区)", "By county of origin"],
  by_need_group: ["按需求类别(上界,满足比例)", "By need group (bound, share met)"],
  late_places: ["超时或未满足的地点", "Late or unmet places"],
  county: ["县(市、区)", "County"],
  people: ["人数", "People"],
  plan_met: ["计划满足", "Plan meets"],
  // Per county or place: the bound's allocation, one way to reach the bound's total, not a
  // limit for that county or place (service/i18n.py "bound_allocation").
  bound_met: ["上界方案中满足", "In the bound's allocation"],
  target: ["时限(小时)", "Target (h)"],
  place: ["地点", "Place"],
  not_met_plan: ["计划未满足", "Not met (plan)"],
  not_met_bound: ["上界方案中未满足", "Not met in the bound's allocation"],
  reason: ["原因", "Reason"],
  plan: ["调度计划", "Plan"],
  bound: ["任何计划至多", "Bound (no plan more)"],
  gap: ["差距(百分点)", "Gap (points)"],
  binding: ["制约因素", "Binding"],
  hours: ["小时", "h"],
  no_plan: ["未制定计划", "no plan"],
  none_late: ["没有超时或未满足的地点。", "No place is late or unmet."],
  depot: ["储备库", "Depot"],
  people_short: ["人", "people"],
  queued: ["排队中", "queued"],
  running: ["运行中", "running"],
  done: ["已完成", "done"],
  failed: ["失败", "failed"],
  stage_scenario: ["读取情景", "reading the scenario"],
  stage_check: ["计算上界", "computing the bound"],
  stage_plan: ["制定调度计划", "making the plan"],
  stock_title: ["储备库库存", "Depot stock"],
  item: ["物资", "Item"],
  quantity: ["数量", "Quantity"],
  save: ["保存", "Save"],
  saved: ["已保存", "Saved"],
  reload: ["重新读取", "Reload"],
  shelter_title: ["避难场所容量(人)", "Shelter capacity (people)"],
  shelter: ["避难场所", "Shelter"],
  capacity: ["容量", "Capacity"],
  changed_by: ["已被他人修改:{who} 于 {at} 改为 {now}。您输入的 {mine} 尚未保存。",
    "Changed meanwhile: {who} set it to {now} at {at}. Your {mine} is not saved."],
  need_clothing: ["衣", "clothing"],
  need_food: ["食", "food"],
  need_shelter: ["住", "shelter"],
  need_medical: ["医", "medical"],
};

window.lang = sessionStorage.getItem("relief.lang") === "en" ? "en" : "zh";

// The label ``key`` in the current language (the key itself if it has none).
window.t = function t(key) {
  const pair = window.LABELS[key];
  if (!pair) { return key; }
  return window.lang === "en" ? pair[1] : pair[0];
};

// A text the API sent in both languages.
window.pick = function pick(zh, en) {
  return window.lang === "en" ? en : zh;
};
