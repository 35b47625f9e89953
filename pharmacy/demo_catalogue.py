"""pharmacy demo data: the drug catalogue, seeded before consult (prescriptions need drugs).

About 110 common drugs with generic and brand names in English and Chinese, form, strength, pack size,
OTC / prescription-only status, ATC codes and lower-case active ingredients. Names, forms and ATC codes
are public reference data; prices (CNY) and stock levels are synthetic. Idempotent: a drug that already
exists (same generic name, strength and form) is left alone, so re-running never resets stock.
"""
from __future__ import annotations

from decimal import Decimal

# (generic EN, generic ZH, brand EN, brand ZH, form, strength, package, Rx?, price CNY, ingredients, ATC, category)
CATALOGUE: list[tuple[str, str, str, str, str, str, str, bool, str, list[str], str, str]] = [
    # Pain and fever
    ("Paracetamol", "对乙酰氨基酚", "Tylenol", "泰诺林", "tablet", "500 mg", "20 tablets", False, "12.80", ["paracetamol"], "N02BE01", "analgesics"),
    ("Paracetamol", "对乙酰氨基酚", "Tylenol Children's", "泰诺林儿童", "syrup", "32 mg/ml", "100 ml", False, "24.50", ["paracetamol"], "N02BE01", "analgesics"),
    ("Ibuprofen", "布洛芬", "Fenbid", "芬必得", "capsule", "300 mg", "20 capsules (sustained release)", False, "21.90", ["ibuprofen"], "M01AE01", "analgesics"),
    ("Ibuprofen", "布洛芬", "Motrin Children's", "美林", "syrup", "20 mg/ml", "100 ml", False, "27.60", ["ibuprofen"], "M01AE01", "analgesics"),
    ("Aspirin", "阿司匹林", "Bayaspirin", "拜阿司匹灵", "tablet", "100 mg", "30 tablets (enteric-coated)", False, "16.50", ["acetylsalicylic acid"], "B01AC06", "cardiovascular"),
    ("Diclofenac sodium", "双氯芬酸钠", "Voltaren", "扶他林", "tablet", "75 mg", "10 tablets (sustained release)", True, "29.80", ["diclofenac"], "M01AB05", "musculoskeletal"),
    ("Diclofenac diethylamine", "双氯芬酸二乙胺", "Voltaren Emulgel", "扶他林乳胶剂", "cream", "1%", "20 g", False, "26.00", ["diclofenac"], "M02AA15", "musculoskeletal"),
    ("Celecoxib", "塞来昔布", "Celebrex", "西乐葆", "capsule", "200 mg", "6 capsules", True, "38.20", ["celecoxib"], "M01AH01", "musculoskeletal"),
    ("Loxoprofen sodium", "洛索洛芬钠", "Loxonin", "乐松", "tablet", "60 mg", "20 tablets", True, "22.40", ["loxoprofen"], "M01AE", "analgesics"),
    ("Tramadol", "曲马多", "Tramal", "奇曼丁", "tablet", "100 mg", "10 tablets (sustained release)", True, "31.50", ["tramadol"], "N02AX02", "analgesics"),
    ("Naproxen", "萘普生", "Naprosyn", "适洛特", "tablet", "250 mg", "12 tablets", True, "18.70", ["naproxen"], "M01AE02", "musculoskeletal"),
    ("Compound paracetamol and amantadine", "复方氨酚烷胺", "Gankang", "感康", "tablet", "250 mg/100 mg", "12 tablets", False, "15.80", ["paracetamol", "amantadine", "chlorphenamine", "caffeine", "artificial bezoar"], "", "cold_cough"),
    # Cold and cough
    ("Dextromethorphan hydrobromide", "氢溴酸右美沙芬", "Robitussin DM", "联邦止咳露", "syrup", "15 mg/5 ml", "100 ml", False, "19.90", ["dextromethorphan"], "R05DA09", "cold_cough"),
    ("Ambroxol hydrochloride", "盐酸氨溴索", "Mucosolvan", "沐舒坦", "tablet", "30 mg", "20 tablets", False, "23.60", ["ambroxol"], "R05CB06", "cold_cough"),
    ("Ambroxol hydrochloride", "盐酸氨溴索", "Mucosolvan", "沐舒坦", "syrup", "15 mg/5 ml", "100 ml", False, "31.20", ["ambroxol"], "R05CB06", "cold_cough"),
    ("Acetylcysteine", "乙酰半胱氨酸", "Fluimucil", "富露施", "granules", "200 mg", "10 sachets", False, "34.50", ["acetylcysteine"], "R05CB01", "cold_cough"),
    ("Pseudoephedrine and chlorphenamine", "伪麻黄碱氯苯那敏", "Contac", "新康泰克", "capsule", "90 mg/4 mg", "10 capsules (sustained release)", False, "18.80", ["pseudoephedrine", "chlorphenamine"], "R01BA52", "cold_cough"),
    ("Compound pseudoephedrine (day/night)", "酚麻美敏", "Tylenol Cold", "泰诺", "tablet", "325 mg", "20 tablets", False, "17.50", ["paracetamol", "pseudoephedrine", "dextromethorphan", "chlorphenamine"], "", "cold_cough"),
    ("Banlangen granules", "板蓝根颗粒", "Baiyunshan Banlangen", "白云山板蓝根", "granules", "10 g", "20 sachets", False, "14.00", ["isatis root"], "", "cold_cough"),
    ("Lianhua Qingwen capsules", "连花清瘟胶囊", "Yiling Lianhua Qingwen", "以岭连花清瘟", "capsule", "0.35 g", "24 capsules", False, "28.50", ["forsythia", "honeysuckle", "ephedra", "rhubarb"], "", "cold_cough"),
    ("Loquat leaf syrup", "川贝枇杷膏", "Nin Jiom Pei Pa Koa", "京都念慈菴蜜炼川贝枇杷膏", "syrup", "—", "150 ml", False, "36.00", ["loquat leaf", "fritillaria"], "", "cold_cough"),
    ("Oxymetazoline", "羟甲唑啉", "Afrin", "达芬霖", "drops", "0.05%", "10 ml nasal spray", False, "22.00", ["oxymetazoline"], "R01AA05", "cold_cough"),
    # Allergy
    ("Loratadine", "氯雷他定", "Clarityne", "开瑞坦", "tablet", "10 mg", "6 tablets", False, "25.80", ["loratadine"], "R06AX13", "allergy"),
    ("Cetirizine hydrochloride", "盐酸西替利嗪", "Zyrtec", "仙特明", "tablet", "10 mg", "12 tablets", False, "29.40", ["cetirizine"], "R06AE07", "allergy"),
    ("Desloratadine", "地氯雷他定", "Aerius", "恩理思", "tablet", "5 mg", "6 tablets", False, "32.60", ["desloratadine"], "R06AX27", "allergy"),
    ("Chlorphenamine maleate", "马来酸氯苯那敏", "Piriton", "扑尔敏", "tablet", "4 mg", "100 tablets", False, "5.50", ["chlorphenamine"], "R06AB04", "allergy"),
    ("Fexofenadine hydrochloride", "盐酸非索非那定", "Allegra", "阿特拉", "tablet", "120 mg", "10 tablets", False, "39.00", ["fexofenadine"], "R06AX26", "allergy"),
    ("Mometasone furoate", "糠酸莫米松", "Nasonex", "内舒拿", "drops", "50 µg/dose", "60 doses nasal spray", True, "68.00", ["mometasone"], "R01AD09", "allergy"),
    ("Budesonide nasal", "布地奈德鼻喷雾剂", "Rhinocort", "雷诺考特", "drops", "64 µg/dose", "120 doses nasal spray", True, "72.50", ["budesonide"], "R01AD05", "allergy"),
    ("Montelukast sodium", "孟鲁司特钠", "Singulair", "顺尔宁", "tablet", "10 mg", "5 tablets", True, "41.80", ["montelukast"], "R03DC03", "respiratory"),
    # Digestive
    ("Omeprazole", "奥美拉唑", "Losec", "洛赛克", "capsule", "20 mg", "14 capsules", True, "35.60", ["omeprazole"], "A02BC01", "digestive"),
    ("Esomeprazole magnesium", "埃索美拉唑镁", "Nexium", "耐信", "tablet", "20 mg", "7 tablets", True, "48.90", ["esomeprazole"], "A02BC05", "digestive"),
    ("Pantoprazole sodium", "泮托拉唑钠", "Pantoloc", "泮立苏", "tablet", "40 mg", "7 tablets", True, "39.50", ["pantoprazole"], "A02BC02", "digestive"),
    ("Rabeprazole sodium", "雷贝拉唑钠", "Pariet", "波利特", "tablet", "10 mg", "7 tablets", True, "44.20", ["rabeprazole"], "A02BC04", "digestive"),
    ("Famotidine", "法莫替丁", "Pepcid", "高舒达", "tablet", "20 mg", "24 tablets", False, "13.60", ["famotidine"], "A02BA03", "digestive"),
    ("Montmorillonite powder", "蒙脱石散", "Smecta", "思密达", "granules", "3 g", "10 sachets", False, "22.80", ["diosmectite"], "A07BC05", "digestive"),
    ("Loperamide hydrochloride", "盐酸洛哌丁胺", "Imodium", "易蒙停", "capsule", "2 mg", "6 capsules", False, "18.60", ["loperamide"], "A07DA03", "digestive"),
    ("Oral rehydration salts III", "口服补液盐III", "ORS III", "口服补液盐", "granules", "5.125 g", "6 sachets", False, "9.80", ["sodium chloride", "potassium chloride", "sodium citrate", "glucose"], "A07CA", "digestive"),
    ("Domperidone", "多潘立酮", "Motilium", "吗丁啉", "tablet", "10 mg", "30 tablets", False, "27.90", ["domperidone"], "A03FA03", "digestive"),
    ("Lactulose", "乳果糖", "Duphalac", "杜密克", "syrup", "667 mg/ml", "200 ml", False, "45.00", ["lactulose"], "A06AD11", "digestive"),
    ("Bifidobacterium triple viable", "双歧杆菌三联活菌", "Bifico", "培菲康", "capsule", "210 mg", "36 capsules", False, "32.50", ["bifidobacterium", "lactobacillus", "enterococcus"], "A07FA", "digestive"),
    ("Mosapride citrate", "枸橼酸莫沙必利", "Gasmotin", "加斯清", "tablet", "5 mg", "24 tablets", True, "36.80", ["mosapride"], "A03FA", "digestive"),
    ("Aluminium magnesium carbonate", "铝碳酸镁", "Talcid", "达喜", "tablet", "500 mg", "20 chewable tablets", False, "24.60", ["hydrotalcite"], "A02AD04", "digestive"),
    ("Mesalazine", "美沙拉秦", "Salofalk", "莎尔福", "tablet", "500 mg", "40 tablets (enteric-coated)", True, "128.00", ["mesalazine"], "A07EC02", "digestive"),
    # Antibiotics and anti-infectives
    ("Amoxicillin", "阿莫西林", "Amoxil", "阿莫仙", "capsule", "500 mg", "24 capsules", True, "18.50", ["amoxicillin"], "J01CA04", "antibiotics"),
    ("Amoxicillin and clavulanate potassium", "阿莫西林克拉维酸钾", "Augmentin", "安灭菌", "tablet", "625 mg", "12 tablets", True, "46.30", ["amoxicillin", "clavulanic acid"], "J01CR02", "antibiotics"),
    ("Cefuroxime axetil", "头孢呋辛酯", "Zinnat", "西力欣", "tablet", "250 mg", "12 tablets", True, "42.00", ["cefuroxime"], "J01DC02", "antibiotics"),
    ("Cefixime", "头孢克肟", "Suprax", "世福素", "capsule", "100 mg", "6 capsules", True, "33.80", ["cefixime"], "J01DD08", "antibiotics"),
    ("Cefaclor", "头孢克洛", "Ceclor", "希刻劳", "capsule", "250 mg", "6 capsules", True, "29.60", ["cefaclor"], "J01DC04", "antibiotics"),
    ("Azithromycin", "阿奇霉素", "Zithromax", "希舒美", "tablet", "250 mg", "6 tablets", True, "39.90", ["azithromycin"], "J01FA10", "antibiotics"),
    ("Clarithromycin", "克拉霉素", "Klacid", "克拉仙", "tablet", "250 mg", "6 tablets", True, "35.40", ["clarithromycin"], "J01FA09", "antibiotics"),
    ("Levofloxacin", "左氧氟沙星", "Cravit", "可乐必妥", "tablet", "500 mg", "4 tablets", True, "38.60", ["levofloxacin"], "J01MA12", "antibiotics"),
    ("Moxifloxacin hydrochloride", "盐酸莫西沙星", "Avelox", "拜复乐", "tablet", "400 mg", "3 tablets", True, "62.00", ["moxifloxacin"], "J01MA14", "antibiotics"),
    ("Doxycycline", "多西环素", "Vibramycin", "永喜", "tablet", "100 mg", "10 tablets", True, "19.80", ["doxycycline"], "J01AA02", "antibiotics"),
    ("Metronidazole", "甲硝唑", "Flagyl", "灭滴灵", "tablet", "200 mg", "21 tablets", True, "8.60", ["metronidazole"], "J01XD01", "antibiotics"),
    ("Nitrofurantoin", "呋喃妥因", "Macrodantin", "呋喃坦啶", "tablet", "50 mg", "20 tablets", True, "12.40", ["nitrofurantoin"], "J01XE01", "antibiotics"),
    ("Fosfomycin trometamol", "磷霉素氨丁三醇", "Monurol", "美乐力", "granules", "3 g", "1 sachet", True, "48.00", ["fosfomycin"], "J01XX01", "antibiotics"),
    ("Mupirocin", "莫匹罗星", "Bactroban", "百多邦", "cream", "2%", "5 g", False, "21.50", ["mupirocin"], "D06AX09", "skin"),
    ("Fluconazole", "氟康唑", "Diflucan", "大扶康", "capsule", "150 mg", "1 capsule", True, "32.00", ["fluconazole"], "J02AC01", "antivirals"),
    ("Terbinafine hydrochloride", "盐酸特比萘芬", "Lamisil", "兰美抒", "cream", "1%", "15 g", False, "27.30", ["terbinafine"], "D01AE15", "skin"),
    ("Clotrimazole", "克霉唑", "Canesten", "凯妮汀", "other", "500 mg", "1 vaginal tablet", False, "30.50", ["clotrimazole"], "G01AF02", "skin"),
    # Antivirals
    ("Oseltamivir phosphate", "磷酸奥司他韦", "Tamiflu", "达菲", "capsule", "75 mg", "10 capsules", True, "96.00", ["oseltamivir"], "J05AH02", "antivirals"),
    ("Acyclovir", "阿昔洛韦", "Zovirax", "舒维疗", "cream", "3%", "10 g", False, "9.90", ["aciclovir"], "D06BB03", "antivirals"),
    ("Valaciclovir hydrochloride", "盐酸伐昔洛韦", "Valtrex", "明竹欣", "tablet", "300 mg", "6 tablets", True, "45.60", ["valaciclovir"], "J05AB11", "antivirals"),
    ("Entecavir", "恩替卡韦", "Baraclude", "博路定", "tablet", "0.5 mg", "7 tablets", True, "58.00", ["entecavir"], "J05AF10", "antivirals"),
    # Cardiovascular
    ("Amlodipine besylate", "苯磺酸氨氯地平", "Norvasc", "络活喜", "tablet", "5 mg", "7 tablets", True, "34.80", ["amlodipine"], "C08CA01", "cardiovascular"),
    ("Nifedipine", "硝苯地平", "Adalat", "拜新同", "tablet", "30 mg", "7 tablets (controlled release)", True, "33.20", ["nifedipine"], "C08CA05", "cardiovascular"),
    ("Felodipine", "非洛地平", "Plendil", "波依定", "tablet", "5 mg", "10 tablets (sustained release)", True, "30.60", ["felodipine"], "C08CA02", "cardiovascular"),
    ("Valsartan", "缬沙坦", "Diovan", "代文", "capsule", "80 mg", "7 capsules", True, "36.50", ["valsartan"], "C09CA03", "cardiovascular"),
    ("Losartan potassium", "氯沙坦钾", "Cozaar", "科素亚", "tablet", "50 mg", "7 tablets", True, "38.20", ["losartan"], "C09CA01", "cardiovascular"),
    ("Irbesartan", "厄贝沙坦", "Aprovel", "安博维", "tablet", "150 mg", "7 tablets", True, "35.00", ["irbesartan"], "C09CA04", "cardiovascular"),
    ("Telmisartan", "替米沙坦", "Micardis", "美卡素", "tablet", "80 mg", "7 tablets", True, "42.80", ["telmisartan"], "C09CA07", "cardiovascular"),
    ("Enalapril maleate", "马来酸依那普利", "Renitec", "悦宁定", "tablet", "10 mg", "16 tablets", True, "24.00", ["enalapril"], "C09AA02", "cardiovascular"),
    ("Benazepril hydrochloride", "盐酸贝那普利", "Lotensin", "洛汀新", "tablet", "10 mg", "14 tablets", True, "39.60", ["benazepril"], "C09AA07", "cardiovascular"),
    ("Metoprolol succinate", "琥珀酸美托洛尔", "Betaloc ZOK", "倍他乐克", "tablet", "47.5 mg", "7 tablets (sustained release)", True, "26.80", ["metoprolol"], "C07AB02", "cardiovascular"),
    ("Bisoprolol fumarate", "富马酸比索洛尔", "Concor", "康忻", "tablet", "5 mg", "10 tablets", True, "29.50", ["bisoprolol"], "C07AB07", "cardiovascular"),
    ("Hydrochlorothiazide", "氢氯噻嗪", "Esidrex", "双克", "tablet", "25 mg", "100 tablets", True, "6.80", ["hydrochlorothiazide"], "C03AA03", "cardiovascular"),
    ("Spironolactone", "螺内酯", "Aldactone", "安体舒通", "tablet", "20 mg", "100 tablets", True, "11.20", ["spironolactone"], "C03DA01", "cardiovascular"),
    ("Atorvastatin calcium", "阿托伐他汀钙", "Lipitor", "立普妥", "tablet", "20 mg", "7 tablets", True, "44.60", ["atorvastatin"], "C10AA05", "cardiovascular"),
    ("Rosuvastatin calcium", "瑞舒伐他汀钙", "Crestor", "可定", "tablet", "10 mg", "7 tablets", True, "46.90", ["rosuvastatin"], "C10AA07", "cardiovascular"),
    ("Simvastatin", "辛伐他汀", "Zocor", "舒降之", "tablet", "20 mg", "7 tablets", True, "27.40", ["simvastatin"], "C10AA01", "cardiovascular"),
    ("Clopidogrel bisulfate", "硫酸氢氯吡格雷", "Plavix", "波立维", "tablet", "75 mg", "7 tablets", True, "58.70", ["clopidogrel"], "B01AC04", "cardiovascular"),
    ("Warfarin sodium", "华法林钠", "Marevan", "华法林", "tablet", "2.5 mg", "80 tablets", True, "16.30", ["warfarin"], "B01AA03", "cardiovascular"),
    ("Isosorbide mononitrate", "单硝酸异山梨酯", "Imdur", "依姆多", "tablet", "60 mg", "7 tablets (sustained release)", True, "32.10", ["isosorbide mononitrate"], "C01DA14", "cardiovascular"),
    ("Nitroglycerin", "硝酸甘油", "Nitrostat", "硝酸甘油片", "tablet", "0.5 mg", "100 sublingual tablets", True, "9.50", ["glyceryl trinitrate"], "C01DA02", "cardiovascular"),
    ("Compound Danshen dripping pills", "复方丹参滴丸", "Tasly Danshen", "天士力复方丹参滴丸", "other", "27 mg", "180 pills", False, "29.80", ["salvia miltiorrhiza", "panax notoginseng", "borneol"], "", "cardiovascular"),
    # Diabetes
    ("Metformin hydrochloride", "盐酸二甲双胍", "Glucophage", "格华止", "tablet", "500 mg", "20 tablets", True, "19.80", ["metformin"], "A10BA02", "diabetes"),
    ("Gliclazide", "格列齐特", "Diamicron MR", "达美康", "tablet", "30 mg", "30 tablets (modified release)", True, "38.50", ["gliclazide"], "A10BB09", "diabetes"),
    ("Glimepiride", "格列美脲", "Amaryl", "亚莫利", "tablet", "2 mg", "15 tablets", True, "41.20", ["glimepiride"], "A10BB12", "diabetes"),
    ("Acarbose", "阿卡波糖", "Glucobay", "拜糖平", "tablet", "50 mg", "30 tablets", True, "45.60", ["acarbose"], "A10BF01", "diabetes"),
    ("Sitagliptin phosphate", "磷酸西格列汀", "Januvia", "捷诺维", "tablet", "100 mg", "7 tablets", True, "62.30", ["sitagliptin"], "A10BH01", "diabetes"),
    ("Dapagliflozin", "达格列净", "Forxiga", "安达唐", "tablet", "10 mg", "14 tablets", True, "75.80", ["dapagliflozin"], "A10BK01", "diabetes"),
    ("Insulin glargine", "甘精胰岛素", "Lantus", "来得时", "injection", "300 U/3 ml", "1 prefilled pen", True, "168.00", ["insulin glargine"], "A10AE04", "diabetes"),
    ("Insulin aspart", "门冬胰岛素", "NovoRapid", "诺和锐", "injection", "300 U/3 ml", "1 prefilled pen", True, "86.50", ["insulin aspart"], "A10AB05", "diabetes"),
    # Respiratory
    ("Salbutamol", "沙丁胺醇", "Ventolin", "万托林", "inhaler", "100 µg/dose", "200 doses", True, "29.90", ["salbutamol"], "R03AC02", "respiratory"),
    ("Budesonide and formoterol", "布地奈德福莫特罗", "Symbicort Turbuhaler", "信必可都保", "inhaler", "160/4.5 µg", "60 doses", True, "235.00", ["budesonide", "formoterol"], "R03AK07", "respiratory"),
    ("Salmeterol and fluticasone", "沙美特罗替卡松", "Seretide Accuhaler", "舒利迭", "inhaler", "50/250 µg", "60 doses", True, "198.00", ["salmeterol", "fluticasone"], "R03AK06", "respiratory"),
    ("Tiotropium bromide", "噻托溴铵", "Spiriva", "思力华", "inhaler", "18 µg", "10 capsules with inhaler", True, "158.00", ["tiotropium"], "R03BB04", "respiratory"),
    ("Doxofylline", "多索茶碱", "Ansimar", "安赛玛", "tablet", "200 mg", "12 tablets", True, "26.40", ["doxofylline"], "R03DA11", "respiratory"),
    # Mental health and sleep
    ("Sertraline hydrochloride", "盐酸舍曲林", "Zoloft", "左洛复", "tablet", "50 mg", "14 tablets", True, "68.50", ["sertraline"], "N06AB06", "mental_health"),
    ("Escitalopram oxalate", "草酸艾司西酞普兰", "Lexapro", "来士普", "tablet", "10 mg", "7 tablets", True, "62.00", ["escitalopram"], "N06AB10", "mental_health"),
    ("Fluoxetine hydrochloride", "盐酸氟西汀", "Prozac", "百忧解", "capsule", "20 mg", "28 capsules", True, "92.40", ["fluoxetine"], "N06AB03", "mental_health"),
    ("Paroxetine hydrochloride", "盐酸帕罗西汀", "Seroxat", "赛乐特", "tablet", "20 mg", "10 tablets", True, "55.80", ["paroxetine"], "N06AB05", "mental_health"),
    ("Estazolam", "艾司唑仑", "Eurodin", "舒乐安定", "tablet", "1 mg", "20 tablets", True, "7.20", ["estazolam"], "N05CD04", "mental_health"),
    ("Zolpidem tartrate", "酒石酸唑吡坦", "Stilnox", "思诺思", "tablet", "10 mg", "7 tablets", True, "39.00", ["zolpidem"], "N05CF02", "mental_health"),
    ("Melatonin", "褪黑素", "Tomson Melatonin", "汤臣倍健褪黑素", "tablet", "3 mg", "60 tablets", False, "68.00", ["melatonin"], "N05CH01", "mental_health"),
    # Skin
    ("Hydrocortisone butyrate", "丁酸氢化可的松", "Locoid", "尤卓尔", "cream", "0.1%", "10 g", False, "17.80", ["hydrocortisone"], "D07AB02", "skin"),
    ("Mometasone furoate cream", "糠酸莫米松乳膏", "Elocon", "艾洛松", "cream", "0.1%", "10 g", True, "28.60", ["mometasone"], "D07AC13", "skin"),
    ("Calamine lotion", "炉甘石洗剂", "Calamine", "炉甘石", "other", "15%", "100 ml", False, "6.50", ["calamine", "zinc oxide"], "D02AB", "skin"),
    ("Adapalene", "阿达帕林", "Differin", "达芙文", "cream", "0.1%", "30 g gel", True, "55.00", ["adapalene"], "D10AD03", "skin"),
    ("Benzoyl peroxide", "过氧苯甲酰", "Benzac", "班赛", "cream", "5%", "15 g gel", False, "24.90", ["benzoyl peroxide"], "D10AE01", "skin"),
    ("Erythromycin ointment", "红霉素软膏", "Erythromycin", "红霉素", "cream", "1%", "10 g", False, "3.50", ["erythromycin"], "D06AX", "skin"),
    # Eye and ear
    ("Sodium hyaluronate eye drops", "玻璃酸钠滴眼液", "Hialid", "爱丽", "drops", "0.1%", "5 ml", False, "42.00", ["sodium hyaluronate"], "S01XA20", "eye_ear"),
    ("Levofloxacin eye drops", "左氧氟沙星滴眼液", "Cravit Ophthalmic", "可乐必妥滴眼液", "drops", "0.5%", "5 ml", True, "25.50", ["levofloxacin"], "S01AE05", "eye_ear"),
    ("Tobramycin and dexamethasone", "妥布霉素地塞米松", "TobraDex", "典必殊", "drops", "0.3%/0.1%", "5 ml", True, "39.80", ["tobramycin", "dexamethasone"], "S01CA01", "eye_ear"),
    ("Ofloxacin ear drops", "氧氟沙星滴耳液", "Tarivid Otic", "泰利必妥滴耳液", "drops", "0.3%", "5 ml", True, "18.20", ["ofloxacin"], "S02AA16", "eye_ear"),
    # Vitamins and minerals
    ("Calcium carbonate and vitamin D3", "碳酸钙D3", "Caltrate", "钙尔奇", "tablet", "600 mg/125 IU", "60 tablets", False, "52.00", ["calcium carbonate", "colecalciferol"], "A12AX", "vitamins"),
    ("Multivitamins and minerals", "多维元素", "Centrum", "善存", "tablet", "—", "60 tablets", False, "88.00", ["vitamins", "minerals"], "A11AA03", "vitamins"),
    ("Folic acid", "叶酸", "Silida", "斯利安", "tablet", "0.4 mg", "31 tablets", False, "19.50", ["folic acid"], "B03BB01", "vitamins"),
    ("Ferrous succinate", "琥珀酸亚铁", "Suxuan", "速力菲", "tablet", "100 mg", "24 tablets", False, "26.80", ["ferrous succinate"], "B03AA", "vitamins"),
    ("Vitamin C", "维生素C", "Vitamin C", "维生素C", "tablet", "100 mg", "100 tablets", False, "3.80", ["ascorbic acid"], "A11GA01", "vitamins"),
    ("Mecobalamin", "甲钴胺", "Methycobal", "弥可保", "tablet", "0.5 mg", "20 tablets", True, "32.40", ["mecobalamin"], "B03BA05", "vitamins"),
    # Hormones and thyroid
    ("Levothyroxine sodium", "左甲状腺素钠", "Euthyrox", "优甲乐", "tablet", "50 µg", "100 tablets", True, "28.60", ["levothyroxine"], "H03AA01", "hormones"),
    ("Methimazole", "甲巯咪唑", "Thyrozol", "赛治", "tablet", "10 mg", "50 tablets", True, "24.80", ["thiamazole"], "H03BB02", "hormones"),
    ("Prednisone acetate", "醋酸泼尼松", "Prednisone", "强的松", "tablet", "5 mg", "100 tablets", True, "6.20", ["prednisone"], "H02AB07", "hormones"),
    ("Methylprednisolone", "甲泼尼龙", "Medrol", "美卓乐", "tablet", "4 mg", "30 tablets", True, "32.70", ["methylprednisolone"], "H02AB04", "hormones"),
    # Joints, muscles and gout
    ("Allopurinol", "别嘌醇", "Zyloprim", "别嘌呤醇", "tablet", "100 mg", "100 tablets", True, "12.60", ["allopurinol"], "M04AA01", "musculoskeletal"),
    ("Febuxostat", "非布司他", "Uloric", "优立通", "tablet", "40 mg", "16 tablets", True, "58.40", ["febuxostat"], "M04AA03", "musculoskeletal"),
    ("Colchicine", "秋水仙碱", "Colcrys", "秋水仙碱", "tablet", "0.5 mg", "20 tablets", True, "9.60", ["colchicine"], "M04AC01", "musculoskeletal"),
    ("Glucosamine sulfate", "硫酸氨基葡萄糖", "Viartril-S", "维固力", "capsule", "250 mg", "60 capsules", False, "98.00", ["glucosamine"], "M01AX05", "musculoskeletal"),
    ("Alendronate sodium", "阿仑膦酸钠", "Fosamax", "福善美", "tablet", "70 mg", "1 tablet", True, "36.50", ["alendronic acid"], "M05BA04", "musculoskeletal"),
    # Urology
    ("Tamsulosin hydrochloride", "盐酸坦索罗辛", "Harnal", "哈乐", "capsule", "0.2 mg", "10 capsules (sustained release)", True, "43.20", ["tamsulosin"], "G04CA02", "urology"),
    ("Finasteride", "非那雄胺", "Proscar", "保列治", "tablet", "5 mg", "10 tablets", True, "52.60", ["finasteride"], "G04CB01", "urology"),
    ("Sildenafil citrate", "枸橼酸西地那非", "Viagra", "万艾可", "tablet", "50 mg", "1 tablet", True, "99.00", ["sildenafil"], "G04BE03", "urology"),
    # Other
    ("Ondansetron", "昂丹司琼", "Zofran", "枢复宁", "tablet", "8 mg", "6 tablets", True, "48.80", ["ondansetron"], "A04AA01", "other"),
    ("Dimenhydrinate", "茶苯海明", "Dramamine", "乘晕宁", "tablet", "50 mg", "12 tablets", False, "8.80", ["dimenhydrinate"], "A04AD", "other"),
    ("Povidone-iodine solution", "聚维酮碘溶液", "Betadine", "碘伏", "other", "5%", "100 ml", False, "9.90", ["povidone-iodine"], "D08AG02", "other"),
    ("Yunnan Baiyao aerosol", "云南白药气雾剂", "Yunnan Baiyao", "云南白药", "other", "—", "85 g + 30 g", False, "42.50", ["panax notoginseng"], "", "musculoskeletal"),
]


def _synthetic_stock(index: int) -> int:
    """A spread of stock levels (a few out of stock, a few low) that is the same on every run."""
    if index % 29 == 7:
        return 0
    if index % 13 == 5:
        return 3 + index % 4
    return 40 + (index * 37) % 160


def seed(stdout=None) -> None:  # type: ignore[no-untyped-def]
    from .models import Drug
    from .services import drug_create

    created = 0
    for index, row in enumerate(CATALOGUE):
        (gen_en, gen_zh, brand_en, brand_zh, form, strength, package, rx, price, ingredients, atc, category) = row
        if Drug.objects.filter(generic_name_en=gen_en, strength=strength, form=form).exists():
            continue
        drug_create(
            actor=None, generic_name_en=gen_en, generic_name_zh=gen_zh, brand_name_en=brand_en,
            brand_name_zh=brand_zh, form=form, strength=strength, package_size=package, is_prescription_only=rx,
            price=Decimal(price), stock=_synthetic_stock(index), active_ingredients=ingredients, atc_code=atc,
            category=category,
        )
        created += 1
    # The knowledge graph (a lower layer) learns the catalogue from here: drug nodes and their indications.
    from knowledge.services import CatalogueDrug, catalogue_drugs_link

    linked = catalogue_drugs_link(drugs=[CatalogueDrug(id=pk, name_en=en, name_zh=zh, atc_code=atc) for pk, en, zh, atc
                                         in Drug.objects.values_list("pk", "generic_name_en", "generic_name_zh",
                                                                     "atc_code")])
    if stdout is not None:
        stdout.write(f"pharmacy catalogue: {created} drugs created, {Drug.objects.count()} in total, "
                     f"{linked} drug–indication links in the knowledge graph")
